package preflight

import (
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// linkedRole is a service-linked role the app's resources need.
type linkedRole struct {
	Role, Service, For string
	// Race: in a brand-new account the role's creation can race the first
	// resource that needs it, and the deploy fails.
	Race bool
	// needed tells whether a template needs the role.
	needed func(Template) bool
}

// linkedRoles are the service-linked roles of ECS, Application Auto
// Scaling for ECS services, and Elastic Load Balancing.
var linkedRoles = []linkedRole{
	{Role: "AWSServiceRoleForECS", Service: "ecs.amazonaws.com", For: "the ECS cluster and service", Race: true,
		needed: func(t Template) bool { return len(t.ofType("AWS::ECS::Cluster", "AWS::ECS::Service")) > 0 }},
	{Role: "AWSServiceRoleForApplicationAutoScaling_ECSService", Service: "ecs.application-autoscaling.amazonaws.com", For: "the service's autoscaling", Race: true,
		needed: func(t Template) bool {
			for _, id := range t.ofType("AWS::ApplicationAutoScaling::ScalableTarget") {
				if t.Resources[id].Properties["ServiceNamespace"] == "ecs" {
					return true
				}
			}
			return false
		}},
	{Role: "AWSServiceRoleForElasticLoadBalancing", Service: "elasticloadbalancing.amazonaws.com", For: "the load balancer",
		needed: func(t Template) bool { return len(t.ofType("AWS::ElasticLoadBalancingV2::LoadBalancer")) > 0 }},
}

// roleFacts is what IAM says about one service-linked role.
type roleFacts struct {
	linkedRole
	// Found is the role's name as IAM lists it under the service's path
	// ("" when there is none).
	Found   string
	Err     error
	Profile string
}

// checkServiceLinkedRoles looks for each service-linked role the templates
// need, by its path /aws-service-role/SERVICE/.
func checkServiceLinkedRoles(e *env) []Result {
	var results []Result
	for _, lr := range linkedRoles {
		if !slices.ContainsFunc(e.a.Stacks, func(s Stack) bool { return lr.needed(s.Template) }) {
			continue
		}
		f := roleFacts{linkedRole: lr, Profile: e.profile}
		p := iam.NewListRolesPaginator(e.c.IAM, &iam.ListRolesInput{PathPrefix: aws.String("/aws-service-role/" + lr.Service + "/")})
		for p.HasMorePages() && f.Found == "" {
			page, err := p.NextPage(e.ctx)
			if err != nil {
				f.Err = err
				break
			}
			for _, r := range page.Roles {
				if f.Found == "" || deref(r.RoleName) == lr.Role {
					f.Found = deref(r.RoleName)
				}
			}
		}
		results = append(results, roleResult(f))
	}
	if len(results) == 0 {
		results = append(results, Result{Check: "service-linked roles", Status: OK, Found: "the templates need no service-linked role"})
	}
	return results
}

// roleResult is the line of one service-linked role.
func roleResult(f roleFacts) Result {
	r := Result{Check: "service-linked roles"}
	create := fmt.Sprintf("aws iam create-service-linked-role --aws-service-name %s%s", f.Service, profileFlag(f.Profile))
	switch {
	case f.Err != nil:
		r.Status = Warn
		r.Found = fmt.Sprintf("could not list the roles of %s: %s", f.Service, short(f.Err))
		r.Fix = "allow iam:ListRoles, or check with: aws iam get-role --role-name " + f.Role + profileFlag(f.Profile)
	case f.Found != "":
		r.Status = OK
		r.Found = fmt.Sprintf("%s exists (%s, for %s)", f.Found, f.Service, f.For)
	case f.Race:
		r.Status = Fail
		r.Found = fmt.Sprintf("%s is missing (%s, for %s): AWS creates it on first use, but in a new account that can race the first deploy, which then fails", f.Role, f.Service, f.For)
		r.Fix = create
	default:
		r.Status = Warn
		r.Found = fmt.Sprintf("%s is missing (%s, for %s): AWS creates it with the first load balancer if the deploy role may (iam:CreateServiceLinkedRole)", f.Role, f.Service, f.For)
		r.Fix = create
	}
	return r
}
