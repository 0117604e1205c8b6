package preflight

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"
)

// quota is a regional limit the templates count against.
type quota struct {
	Name, ServiceCode, Code string
	// Default is AWS's documented default, used when Service Quotas does
	// not answer.
	Default float64
	// Type is the resource type that takes one unit.
	Type string
	// What the new units are for, in the message.
	For string
}

var (
	// eipQuota: "EC2-VPC Elastic IPs", 5 per region by default
	// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/elastic-ip-addresses-eip.html#using-instance-addressing-limit).
	eipQuota = quota{Name: "Elastic IPs", ServiceCode: "ec2", Code: "L-0263D0A3", Default: 5, Type: "AWS::EC2::EIP", For: "the NAT gateways"}
	// vpcQuota: "VPCs per Region", 5 by default
	// (https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html).
	vpcQuota = quota{Name: "VPCs", ServiceCode: "vpc", Code: "L-F678F1CE", Default: 5, Type: "AWS::EC2::VPC", For: "the app's VPC"}
)

// quotaFacts is what the account says about one quota.
type quotaFacts struct {
	quota
	InUse, New int
	// NAT is the number of NAT gateways in the templates, for the message.
	NAT   int
	Limit float64
	// Source says where Limit comes from: "applied", "aws-default" (both
	// from Service Quotas) or "documented" (Default, because Service Quotas
	// did not answer: Why).
	Source, Why     string
	Err             error
	Region, Profile string
}

// checkQuotas compares the Elastic IPs and VPCs the deploy adds (new or
// replaced resources) plus those in use with the region's quotas.
func checkQuotas(e *env) []Result {
	var results []Result
	for _, q := range []quota{eipQuota, vpcQuota} {
		f := quotaFacts{quota: q, Region: e.region, Profile: e.profile}
		used := false
		for _, s := range e.a.Stacks {
			f.NAT += len(s.Template.ofType("AWS::EC2::NatGateway"))
			ids := s.Template.ofType(q.Type)
			if len(ids) == 0 {
				continue
			}
			used = true
			d := e.deployedStack(s.Name)
			var repl map[string]replacement
			if d.Stack != nil {
				repl = replacements(d.Template, s.Template)
			}
			for _, id := range ids {
				if _, was := d.Resources[id]; d.Stack == nil || !was || repl[id].Replaced {
					f.New++
				}
			}
		}
		if !used {
			continue
		}
		f.InUse, f.Err = e.inUse(q)
		if f.Err == nil {
			f.Limit, f.Source, f.Why = e.quotaValue(q)
		}
		results = append(results, quotaResult(f))
	}
	if len(results) == 0 {
		results = append(results, Result{Check: "quotas", Status: OK, Found: "the templates create no Elastic IP and no VPC"})
	}
	return results
}

// inUse counts what the region has of a quota's resource.
func (e *env) inUse(q quota) (int, error) {
	switch q.Type {
	case "AWS::EC2::EIP":
		out, err := e.c.EC2.DescribeAddresses(e.ctx, &ec2.DescribeAddressesInput{})
		if err != nil {
			return 0, err
		}
		return len(out.Addresses), nil
	default:
		n := 0
		p := ec2.NewDescribeVpcsPaginator(e.c.EC2, &ec2.DescribeVpcsInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(e.ctx)
			if err != nil {
				return 0, err
			}
			n += len(page.Vpcs)
		}
		return n, nil
	}
}

// quotaValue asks Service Quotas for the applied value, then for AWS's
// default, and falls back to the documented default.
func (e *env) quotaValue(q quota) (float64, string, string) {
	out, err := e.c.Quotas.GetServiceQuota(e.ctx, &servicequotas.GetServiceQuotaInput{ServiceCode: aws.String(q.ServiceCode), QuotaCode: aws.String(q.Code)})
	if err == nil && out.Quota != nil && out.Quota.Value != nil {
		return *out.Quota.Value, "applied", ""
	}
	why := "GetServiceQuota: " + errText(err)
	def, err := e.c.Quotas.GetAWSDefaultServiceQuota(e.ctx, &servicequotas.GetAWSDefaultServiceQuotaInput{ServiceCode: aws.String(q.ServiceCode), QuotaCode: aws.String(q.Code)})
	if err == nil && def.Quota != nil && def.Quota.Value != nil {
		return *def.Quota.Value, "aws-default", why
	}
	return q.Default, "documented", why + "; GetAWSDefaultServiceQuota: " + errText(err)
}

func errText(err error) string {
	if err == nil {
		return "no value"
	}
	return errorCode(err)
}

// quotaResult is the line of one quota.
func quotaResult(f quotaFacts) Result {
	r := Result{Check: "quotas"}
	if f.Err != nil {
		r.Status = Warn
		r.Found = fmt.Sprintf("could not count the %s in %s: %s; the deploy adds %d", f.Name, f.Region, short(f.Err), f.New)
		r.Fix = "allow ec2:DescribeAddresses and ec2:DescribeVpcs"
		return r
	}
	var source string
	switch f.Source {
	case "applied":
		source = "the account's quota from Service Quotas"
	case "aws-default":
		source = "AWS's default from Service Quotas"
	default:
		source = fmt.Sprintf("AWS's documented default; Service Quotas did not answer (%s)", strings.TrimSpace(f.Why))
	}
	forWhat := f.For
	if f.Type == "AWS::EC2::EIP" && f.NAT > 0 {
		forWhat = fmt.Sprintf("%s (%d in the templates)", f.For, f.NAT)
	}
	total := f.InUse + f.New
	summary := fmt.Sprintf("%s in %s: %d in use + %d new for %s = %d of %g (%s, %s)",
		f.Name, f.Region, f.InUse, f.New, forWhat, total, f.Limit, f.Code, source)
	if float64(total) <= f.Limit {
		r.Status = OK
		r.Found = summary
		return r
	}
	r.Status = Fail
	r.Found = summary + ": the deploy would fail creating them"
	release := ""
	if f.Type == "AWS::EC2::EIP" {
		release = fmt.Sprintf("release unused addresses (aws ec2 describe-addresses --query 'Addresses[?AssociationId==null]' --region %s%s, then aws ec2 release-address --allocation-id …), or ", f.Region, profileFlag(f.Profile))
	} else {
		release = "delete an unused VPC, or "
	}
	r.Fix = fmt.Sprintf("%srequest more: aws service-quotas request-service-quota-increase --service-code %s --quota-code %s --desired-value %d --region %s%s (console: Service Quotas > %s)",
		release, f.ServiceCode, f.Code, total, f.Region, profileFlag(f.Profile), consoleQuota(f.quota))
	return r
}

func consoleQuota(q quota) string {
	if q.ServiceCode == "ec2" {
		return "Amazon Elastic Compute Cloud (Amazon EC2) > EC2-VPC Elastic IPs"
	}
	return "Amazon Virtual Private Cloud (Amazon VPC) > VPCs per Region"
}
