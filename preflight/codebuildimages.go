package preflight

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/codebuild"
)

// The CodeBuild images check. The Pipeline stack's projects name a
// CodeBuild curated image and an environment type: the image build runs
// aws/codebuild/amazonlinux-aarch64-standard:4.0 on ARM_CONTAINER when
// architecture is ARM64, aws/codebuild/standard:8.0 on LINUX_CONTAINER
// otherwise, and the other steps standard:8.0. CodeBuild does not offer
// every image (nor Arm hosts) in every region; a project whose image the
// region lacks fails to be created and the pipeline stack rolls back, on
// a new region's first deploy. The check asks CodeBuild once which curated
// images it offers in the region (codebuild:ListCuratedEnvironmentImages:
// per platform and language, each image's name and its pinned versions)
// and looks each project's Environment.Image up in it, by name or by a
// pinned version.
//
// An image that is not a curated one (not aws/codebuild/…: an image in
// ECR or another registry, or an expression such as an ECR repository's
// URI) is not CodeBuild's to list: the check names it and skips it.

// curatedPrefix starts every CodeBuild curated image's name.
const curatedPrefix = "aws/codebuild/"

// x86BuildImage is the image the image build runs with architecture X86_64
// (constructs/imagebuild.go; TestCodeBuildImagesFixNamesTheX86Build holds
// it equal to the golden prod's), which the fix for a missing Arm image
// suggests.
const x86BuildImage = "aws/codebuild/standard:8.0"

// codebuildImageFacts is what the check found for one image of one stack:
// the projects that run it on one environment type.
type codebuildImageFacts struct {
	Stack string
	// Image is the template's Environment.Image: a literal, or the JSON of
	// an expression. Type is Environment.Type.
	Image, Type string
	// Projects are the projects' CDK paths (their logical IDs where the
	// template has no aws:cdk:path).
	Projects []string
	// ImageBuild: one of them is the pipeline's image build, whose image
	// the architecture setting chooses.
	ImageBuild bool
	// Curated: the image is one of CodeBuild's (aws/codebuild/…).
	Curated bool
	// Listed: CodeBuild lists it in the region; Count is how many images
	// (names and pinned versions) the region lists in all.
	Listed bool
	Count  int
	// X86Listed: the region lists x86BuildImage, for the fix.
	X86Listed bool
	Region    string
	Profile   string
}

// checkCodeBuildImages checks every CodeBuild project's image against the
// curated images CodeBuild offers in the region.
func checkCodeBuildImages(e *env) []Result {
	var groups []*codebuildImageFacts
	for _, s := range e.a.Stacks {
		for _, id := range s.Template.ofType("AWS::CodeBuild::Project") {
			r := s.Template.Resources[id]
			envProps, _ := r.Properties["Environment"].(map[string]any)
			image, curated := "", false
			switch v := envProps["Image"].(type) {
			case string:
				image, curated = v, strings.HasPrefix(v, curatedPrefix)
			default:
				b, _ := json.Marshal(v)
				image = string(b)
			}
			typ, _ := envProps["Type"].(string)
			path, _ := r.Metadata["aws:cdk:path"].(string)
			if path == "" {
				path = s.Name + "/" + id
			}
			var g *codebuildImageFacts
			for _, o := range groups {
				if o.Stack == s.Name && o.Image == image && o.Type == typ {
					g = o
				}
			}
			if g == nil {
				g = &codebuildImageFacts{Stack: s.Name, Image: image, Type: typ, Curated: curated, Region: e.region, Profile: e.profile}
				groups = append(groups, g)
			}
			g.Projects = append(g.Projects, path)
			g.ImageBuild = g.ImageBuild || slices.Contains(strings.Split(path, "/"), "ImageBuild")
		}
	}
	if len(groups) == 0 {
		return []Result{{Check: "codebuild images", Status: OK, Found: "the templates have no CodeBuild project: no build image to check"}}
	}
	var curated []*codebuildImageFacts
	for _, g := range groups {
		if g.Curated {
			curated = append(curated, g)
		}
	}
	var listed []string
	var err error
	if len(curated) > 0 {
		listed, err = e.curatedImages()
	}
	var results []Result
	switch {
	case err != nil:
		results = append(results, codebuildImagesUnreadResult(curated, err, e.region, e.profile))
	case len(curated) > 0 && len(listed) == 0:
		results = append(results, codebuildImagesUnreadResult(curated, nil, e.region, e.profile))
	default:
		for _, g := range curated {
			g.Listed, g.Count, g.X86Listed = slices.Contains(listed, g.Image), len(listed), slices.Contains(listed, x86BuildImage)
			results = append(results, codebuildImageResult(*g))
		}
	}
	for _, g := range groups {
		if !g.Curated {
			results = append(results, codebuildImageResult(*g))
		}
	}
	return results
}

// curatedImages lists the curated images CodeBuild offers in the region:
// every image's name and every pinned version of it.
func (e *env) curatedImages() ([]string, error) {
	out, err := e.c.CodeBuild.ListCuratedEnvironmentImages(e.ctx, &codebuild.ListCuratedEnvironmentImagesInput{})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, p := range out.Platforms {
		for _, l := range p.Languages {
			for _, img := range l.Images {
				for _, n := range append([]string{deref(img.Name)}, img.Versions...) {
					if n != "" && !slices.Contains(names, n) {
						names = append(names, n)
					}
				}
			}
		}
	}
	slices.Sort(names)
	return names, nil
}

// codebuildImageResult is the line for one image of a stack's projects.
func codebuildImageResult(f codebuildImageFacts) Result {
	r := Result{Check: "codebuild images"}
	runs := fmt.Sprintf("%s (%s) for %s", f.Image, orNone(f.Type), strings.Join(f.Projects, ", "))
	switch {
	case !f.Curated:
		r.Status = OK
		r.Found = fmt.Sprintf("not checked: %s runs %s (%s), which is not a CodeBuild curated image (%s…): CodeBuild lists only its own images; one in ECR or another registry is pulled when a build starts",
			strings.Join(f.Projects, ", "), f.Image, orNone(f.Type), curatedPrefix)
	case f.Listed:
		r.Status = OK
		r.Found = fmt.Sprintf("CodeBuild in %s offers %s", f.Region, runs)
	default:
		r.Status = Fail
		r.Found = fmt.Sprintf("CodeBuild in %s does not offer the curated image %s (%s) that %s runs (it lists %d other images and versions there): creating the project would fail and %s roll back",
			f.Region, f.Image, orNone(f.Type), strings.Join(f.Projects, ", "), f.Count, f.Stack)
		r.Fix = codebuildImageFix(f)
	}
	return r
}

// codebuildImageFix: for the image build on Arm, architecture X86_64
// (the build then runs standard:8.0 on LINUX_CONTAINER); otherwise
// another region.
func codebuildImageFix(f codebuildImageFacts) string {
	list := fmt.Sprintf("aws codebuild list-curated-environment-images --region %s%s", f.Region, profileFlag(f.Profile))
	if f.ImageBuild && (f.Type == "ARM_CONTAINER" || strings.Contains(f.Image, "aarch64")) {
		x86 := fmt.Sprintf("set architecture to X86_64 for this environment (cdk.json, or -c architecture=X86_64): the image build then runs %s on LINUX_CONTAINER", x86BuildImage)
		if !f.X86Listed {
			x86 += fmt.Sprintf(" (which %s does not list either)", f.Region)
		}
		return x86 + ", and the tasks run X86_64; on an environment that has released an image, change it by the procedure in docs/deployments.md#changing-the-cpu-architecture; or deploy to a region that offers " + f.Image + " (list a region's: " + list + "); then synthesize and run preflight again"
	}
	return fmt.Sprintf("deploy to a region whose CodeBuild offers %s (list a region's: %s); then synthesize and run preflight again", f.Image, list)
}

// codebuildImagesUnreadResult is the one line when CodeBuild's list could
// not be read (err, the call's), or came back empty (err nil). moto, which
// lacks the call, answers HTTP 500.
func codebuildImagesUnreadResult(groups []*codebuildImageFacts, err error, region, profile string) Result {
	var images []string
	for _, g := range groups {
		images = append(images, fmt.Sprintf("%s (%s) for %s", g.Image, orNone(g.Type), strings.Join(g.Projects, ", ")))
	}
	r := Result{Check: "codebuild images", Status: Warn}
	why := "CodeBuild listed no curated image there"
	if err != nil {
		why = "codebuild:ListCuratedEnvironmentImages: " + short(err)
	}
	r.Found = fmt.Sprintf("cannot tell whether CodeBuild in %s offers %s: %s", region, strings.Join(images, "; "), why)
	r.Fix = fmt.Sprintf("allow codebuild:ListCuratedEnvironmentImages, or look yourself: aws codebuild list-curated-environment-images --region %s%s", region, profileFlag(profile))
	return r
}

func orNone(s string) string {
	if s == "" {
		return "no environment type"
	}
	return s
}
