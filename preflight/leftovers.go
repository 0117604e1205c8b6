package preflight

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// repositoryFacts is what the account holds under the name of a
// repository the templates create.
type repositoryFacts struct {
	Name, Stack string // the repository name, the stack that creates it
	// Assembly is the cloud assembly directory, for a deploy command of
	// exactly what preflight checked.
	Assembly string
	Exists   bool
	Images   int
	// OwnedBy is the deployed stack the repository belongs to ("" when no
	// deployed stack of the app has it: left from an earlier destroy).
	OwnedBy         string
	Err             error
	Region, Profile string
}

// bucketFacts is the retained buckets of earlier deploys of a stack that
// no deployed stack owns any more.
type bucketFacts struct {
	Stack    string
	Leftover []string
	// Fixed lists retained buckets with a fixed BucketName that exist and
	// that no deployed stack of the app owns: the deploy cannot create them.
	Fixed    []string
	Err      error
	Assembly string
	Profile  string
}

// checkLeftovers looks for the retained resources of an earlier destroy
// whose names the next deploy uses: the ECR repository (a fixed name) and
// the log buckets (named after the stack).
func checkLeftovers(e *env) []Result {
	var results []Result
	var bucketNames []string
	var listErr error
	listed := false
	for _, s := range e.a.Stacks {
		d := e.deployedStack(s.Name)
		owned := func(logicalID, physical string) bool {
			return d.Stack != nil && d.Resources[logicalID] == physical
		}
		for _, id := range s.Template.ofType("AWS::ECR::Repository") {
			name, _ := s.Template.Resources[id].Properties["RepositoryName"].(string)
			if name == "" {
				continue // a generated name never collides
			}
			f := repositoryFacts{Name: name, Stack: s.Name, Assembly: e.a.Dir, Region: e.region, Profile: e.profile}
			f.Exists, f.Images, f.Err = e.repository(name)
			if owned(id, name) {
				f.OwnedBy = s.Name
			}
			results = append(results, repositoryResult(f))
		}
		var retained []string
		for _, id := range s.Template.ofType("AWS::S3::Bucket") {
			if p := s.Template.Resources[id].DeletionPolicy; p == "Retain" || p == "RetainExceptOnCreate" {
				retained = append(retained, id)
			}
		}
		if len(retained) == 0 {
			continue
		}
		if !listed {
			bucketNames, listErr = e.bucketNames()
			listed = true
		}
		f := bucketFacts{Stack: s.Name, Err: listErr, Assembly: e.a.Dir, Profile: e.profile}
		ownedNow := map[string]bool{}
		for _, phys := range d.Resources {
			ownedNow[phys] = true
		}
		for _, id := range retained {
			if fixed, _ := s.Template.Resources[id].Properties["BucketName"].(string); fixed != "" {
				if slices.Contains(bucketNames, fixed) && !owned(id, fixed) {
					f.Fixed = append(f.Fixed, fixed)
				}
				continue
			}
			for _, b := range bucketNames {
				if !ownedNow[b] && generatedBucketName(b, s.Name, id) {
					f.Leftover = append(f.Leftover, b)
				}
			}
		}
		results = append(results, bucketsResult(f))
	}
	return results
}

// repository tells whether a repository exists and how many images it has.
func (e *env) repository(name string) (exists bool, images int, err error) {
	_, err = e.c.ECR.DescribeRepositories(e.ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{name}})
	if apiCode(err) == "RepositoryNotFoundException" {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, err
	}
	p := ecr.NewListImagesPaginator(e.c.ECR, &ecr.ListImagesInput{RepositoryName: &name})
	digests := map[string]bool{}
	for p.HasMorePages() {
		page, err := p.NextPage(e.ctx)
		if err != nil {
			return true, 0, err
		}
		for _, img := range page.ImageIds {
			digests[deref(img.ImageDigest)] = true
		}
	}
	return true, len(digests), nil
}

// bucketNames lists the account's buckets.
func (e *env) bucketNames() ([]string, error) {
	var names []string
	p := s3.NewListBucketsPaginator(e.c.S3, &s3.ListBucketsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(e.ctx)
		if err != nil {
			return nil, err
		}
		for _, b := range page.Buckets {
			names = append(names, deref(b.Name))
		}
	}
	slices.Sort(names)
	return names, nil
}

// generatedBucketName tells whether a bucket name is one CloudFormation
// generated for the logical ID in the stack: "stack-logicalid-suffix" in
// lower case, with the stack name or the logical ID cut short to fit 63
// characters.
func generatedBucketName(bucket, stack, logicalID string) bool {
	bucket, stack, logicalID = strings.ToLower(bucket), strings.ToLower(stack), strings.ToLower(logicalID)
	for i := 1; i <= len(stack) && i < len(bucket); i++ {
		if bucket[:i] != stack[:i] {
			return false
		}
		rest, ok := strings.CutPrefix(bucket[i:], "-")
		if !ok {
			continue
		}
		// rest is logicalid-suffix, the logical ID possibly cut short; at most
		// one of stack name and logical ID is cut.
		cut, suffix, ok := cutLast(rest, "-")
		if !ok || suffix == "" || cut == "" || !strings.HasPrefix(logicalID, cut) {
			continue
		}
		if i == len(stack) || cut == logicalID {
			return true
		}
	}
	return false
}

// cutLast splits s around the last sep.
func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// repositoryResult says what exists under the repository's name and what
// the deploy will do with it. It is the one place that wording lives:
// when the deploy learns to adopt a retained repository (issue 11), this
// function changes, and its table test with it.
func repositoryResult(f repositoryFacts) Result {
	r := Result{Check: "leftovers"}
	switch {
	case f.Err != nil:
		r.Status = Warn
		r.Found = fmt.Sprintf("could not read ECR repository %s: %s", f.Name, short(f.Err))
		r.Fix = "allow ecr:DescribeRepositories and ecr:ListImages, or check with: aws ecr describe-repositories --repository-names " + f.Name + " --region " + f.Region + profileFlag(f.Profile)
	case !f.Exists:
		r.Status = OK
		r.Found = fmt.Sprintf("ECR repository %s does not exist yet: the deploy of %s creates it", f.Name, f.Stack)
	case f.OwnedBy != "":
		r.Status = OK
		r.Found = fmt.Sprintf("ECR repository %s (%s) belongs to the deployed stack %s: the deploy keeps it", f.Name, imageCount(f.Images), f.OwnedBy)
	default:
		r.Status = Fail
		r.Found = fmt.Sprintf("ECR repository %s (%s) is left from an earlier destroy (it is retained) and belongs to no deployed stack: the deploy of %s would fail with RepositoryAlreadyExistsException",
			f.Name, imageCount(f.Images), f.Stack)
		r.Fix = fmt.Sprintf("to keep the images, let CloudFormation adopt it: %s (a change-set deploy); or delete it with its %s: aws ecr delete-repository --repository-name %s --force --region %s%s",
			adoptCommand(f.Assembly, f.Profile), imageCount(f.Images), f.Name, f.Region, profileFlag(f.Profile))
	}
	return r
}

// bucketsResult says which retained buckets of earlier deploys are left,
// and that the deploy does not reuse them.
func bucketsResult(f bucketFacts) Result {
	r := Result{Check: "leftovers"}
	switch {
	case f.Err != nil:
		r.Status = Warn
		r.Found = fmt.Sprintf("could not list the buckets to find retained ones of %s: %s", f.Stack, short(f.Err))
		r.Fix = "allow s3:ListAllMyBuckets (s3:ListBuckets)"
	case len(f.Fixed) > 0:
		r.Status = Fail
		r.Found = fmt.Sprintf("bucket(s) %s of %s exist already and belong to no deployed stack: the deploy would fail creating them", strings.Join(f.Fixed, ", "), f.Stack)
		r.Fix = "empty and delete them (aws s3 rb s3://NAME --force" + profileFlag(f.Profile) + "), or let CloudFormation adopt them: " + adoptCommand(f.Assembly, f.Profile)
	case len(f.Leftover) > 0:
		r.Status = Warn
		r.Found = fmt.Sprintf("%d retained bucket(s) of an earlier deploy of %s belong to no deployed stack: %s; the deploy does not reuse them, it creates new ones",
			len(f.Leftover), f.Stack, strings.Join(f.Leftover, ", "))
		var cmds []string
		for _, b := range f.Leftover {
			cmds = append(cmds, "aws s3 rb s3://"+b+" --force"+profileFlag(f.Profile))
		}
		r.Fix = "keep them while you need their logs, then empty and delete them: " + strings.Join(cmds, " && ")
	default:
		r.Status = OK
		r.Found = fmt.Sprintf("no retained bucket of an earlier deploy of %s is left", f.Stack)
	}
	return r
}

// adoptCommand deploys the checked assembly, adopting the retained
// resources whose names it uses.
func adoptCommand(assembly, profile string) string {
	return fmt.Sprintf("npx cdk deploy --all --app %s --import-existing-resources%s", assembly, profileFlag(profile))
}

func imageCount(n int) string {
	if n == 1 {
		return "1 image"
	}
	return fmt.Sprintf("%d images", n)
}
