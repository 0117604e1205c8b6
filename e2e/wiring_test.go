//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
)

// TestDeployedWiring checks the cross-stack references: each stack's
// exports exist, are exported by it, and hold the physical IDs of what they
// name; each service imports only from its own environment's network and
// registry; and which live stack imports which export.
func TestDeployedWiring(t *testing.T) {
	ctx := context.Background()
	// Who imports what, from the templates CloudFormation holds for every
	// live stack (moto has no ListImports).
	importers := map[string][]string{}
	p := cloudformation.NewDescribeStacksPaginator(cfnC, &cloudformation.DescribeStacksInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range page.Stacks {
			name := aws.ToString(st.StackName)
			if name == "CDKToolkit" {
				// The bootstrap stack's template is YAML: it must import nothing.
				out, err := cfnC.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: st.StackId})
				if err != nil || strings.Contains(aws.ToString(out.TemplateBody), "ImportValue") {
					t.Errorf("the bootstrap stack's template could not be read (%v) or imports a value", err)
				}
				continue
			}
			for _, imp := range templateImports(deployedTemplate(t, name)) {
				if !slices.Contains(importers[imp], name) {
					importers[imp] = append(importers[imp], name)
				}
			}
		}
	}

	forEach(t, nil, func(t *testing.T, d deployment) {
		reg, net, svc := d.deployed(t, "Registry"), d.deployed(t, "Network"), d.deployed(t, "Service")

		t.Run("deployed templates are the synthesized ones", func(t *testing.T) {
			for _, s := range []*stack{reg, net, svc} {
				if got := deployedTemplate(t, s.Name); !reflect.DeepEqual(got.Resources, s.Template.Resources) {
					t.Errorf("stack %s holds another template than %s synthesized", s.Name, d.Dir)
				}
			}
		})

		for _, s := range []*stack{reg, net, svc} {
			t.Run("exports of "+s.Name, func(t *testing.T) {
				n := 0
				for key, o := range s.Template.Outputs {
					if o.Export == nil {
						continue
					}
					n++
					name := s.str(t, o.Export.Name)
					e, ok := exports(t)[name]
					if !ok {
						t.Errorf("output %s: no export %s", key, name)
						continue
					}
					if aws.ToString(e.ExportingStackId) != s.ID {
						t.Errorf("export %s comes from %s, want %s", name, aws.ToString(e.ExportingStackId), s.ID)
					}
					if want := fmt.Sprint(s.resolve(t, o.Value)); aws.ToString(e.Value) != want {
						t.Errorf("export %s = %s, want %s", name, aws.ToString(e.Value), want)
					}
				}
				if n == 0 {
					t.Errorf("stack %s exports nothing", s.Name)
				}
			})
		}

		t.Run("the service imports its own network and registry", func(t *testing.T) {
			names := templateImports(svc.Template)
			if len(names) == 0 {
				t.Fatal("the service imports nothing: the VPC and subnets come from the network stack")
			}
			from := map[string]int{}
			for _, name := range names {
				e, ok := exports(t)[name]
				switch {
				case !ok:
					t.Errorf("the service imports %s, which no stack exports", name)
				case aws.ToString(e.ExportingStackId) == net.ID:
					from["network"]++
				case aws.ToString(e.ExportingStackId) == reg.ID:
					from["registry"]++
				default:
					t.Errorf("the service imports %s from %s, not its network %s or registry %s", name, aws.ToString(e.ExportingStackId), net.ID, reg.ID)
				}
			}
			if from["network"] == 0 || from["registry"] == 0 {
				t.Errorf("the service imports %v: want the VPC from its network and the repository from its registry", from)
			}
		})

		t.Run("importers", func(t *testing.T) {
			// Every registry and network export is imported by the stacks of
			// this environment whose templates use it (the network, the
			// registry's key; the service, the rest) and no other stack; the
			// rest (the image parameter's name, the service's own exports)
			// await the pipeline stack, which moto cannot deploy.
			for _, s := range []*stack{reg, net, svc} {
				for _, o := range s.Template.Outputs {
					if o.Export == nil {
						continue
					}
					name := s.str(t, o.Export.Name)
					var want []string
					for _, user := range []*stack{net, svc} {
						if user != s && slices.Contains(templateImports(user.Template), name) {
							want = append(want, user.Name)
						}
					}
					got := slices.Clone(importers[name])
					slices.Sort(got)
					slices.Sort(want)
					if !slices.Equal(got, want) {
						t.Errorf("export %s is imported by %v, want %v", name, got, want)
					}
				}
			}
			var sample string
			for _, o := range net.Template.Outputs {
				if o.Export != nil {
					sample = net.str(t, o.Export.Name)
					break
				}
			}
			out, err := cfnC.ListImports(context.Background(), &cloudformation.ListImportsInput{ExportName: aws.String(sample)})
			if err != nil {
				recordGap(t, "cfn-list-imports", fmt.Sprintf("ListImports: %v", apiCodeOr(err)))
				return
			}
			if want := importers[sample]; !sameSet(out.Imports, want) {
				t.Errorf("ListImports(%s) = %v, the templates say %v", sample, out.Imports, want)
			}
		})

		t.Run("image parameter read by name", func(t *testing.T) {
			// The service reads the parameter the registry created, by name,
			// through an SSM parameter type: not by an export, so the
			// pipeline can change its value without touching the stacks.
			key := imageParameterKey(t, svc)
			want := "/" + d.App + "/" + d.Env + "/image-uri"
			if got := svc.Template.Parameters[key].Default; got != want {
				t.Errorf("the service reads the image from %v, want %s", got, want)
			}
			if _, got, _ := imageParameterCreate(t, reg.Template); got != want {
				t.Errorf("the registry creates the parameter %s, want %s", got, want)
			}
			if got := parameterValue(t, want); got == "" {
				t.Errorf("%s is empty", want)
			}
		})
	})

	t.Run("environments apart", func(t *testing.T) {
		// Side by side in one account: no two deployments share a stack, an
		// export, a repository or a parameter name.
		seen := map[string]string{}
		for _, d := range deployments(t) {
			for _, name := range []string{d.stackName("registry"), d.stackName("network"), d.stackName("service"), d.App + "-" + d.Env, "/" + d.App + "/" + d.Env + "/image-uri"} {
				if other, ok := seen[name]; ok {
					t.Errorf("%s and %s both use %s", other, d.Name, name)
				}
				seen[name] = d.Name
			}
		}
		for name, e := range exports(t) {
			if _, err := cfnC.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: e.ExportingStackId}); err != nil {
				t.Errorf("export %s comes from %s, which is not a live stack: %v", name, aws.ToString(e.ExportingStackId), err)
			}
		}
	})
}

// apiCodeOr is an API error's code, or the error itself.
func apiCodeOr(err error) string {
	if c := apiCode(err); c != "" {
		return c
	}
	return err.Error()
}
