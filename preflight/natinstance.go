package preflight

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// The NAT instance check. With egress nat-instance the Network stack
// launches a natInstanceType instance (t4g.nano by default) in the first
// public subnet's Availability Zone. Not every AZ offers every type
// (Graviton types are missing from some): the instance's creation then
// fails and the network stack rolls back. The check asks EC2 which AZs of
// the region offer the type (ec2:DescribeInstanceTypeOfferings) and
// resolves the AZ the template names as CloudFormation does: a literal, or
// Fn::Select over Fn::GetAZs, which lists the region's AZs in alphabetical
// order (ec2:DescribeAvailabilityZones, the available ones of zone type
// availability-zone). CloudFormation's documentation adds that where the
// account has a default VPC, Fn::GetAZs lists only the AZs with a default
// subnet (unless none has one): preflight assumes the account has not
// deleted the default subnet of an AZ, and says which AZ it took.

// natInstanceFacts is what the check found for one instance of the
// templates.
type natInstanceFacts struct {
	Stack, ID, Type string
	// AZ is the Availability Zone the instance will be launched in; How
	// says where it comes from (the template's literal, or Fn::GetAZs).
	AZ, How string
	// Unresolved says why the AZ could not be told ("" when it could).
	Unresolved string
	// Offered lists the region's AZs that offer Type.
	Offered []string
	Err     error
	Region  string
	// Alt is the type the fix suggests (t3.nano), AltOffered the AZs
	// that offer it (read only when Type is not offered where it goes).
	Alt        string
	AltOffered []string
}

// checkNatInstance checks every EC2 instance of the templates (the NAT
// instance): its type must be offered in its AZ.
func checkNatInstance(e *env) []Result {
	var results []Result
	var azs []string
	var azErr error
	azsRead := false
	for _, s := range e.a.Stacks {
		for _, id := range s.Template.ofType("AWS::EC2::Instance") {
			f := natInstanceFacts{Stack: s.Name, ID: id, Region: e.region}
			props := s.Template.Resources[id].Properties
			f.Type, _ = props["InstanceType"].(string)
			if f.Type == "" {
				f.Type = "m1.small" // EC2's default when the template names none
			}
			az, index, ok := instanceAZ(s.Template, props)
			switch {
			case !ok:
				f.Unresolved = "the template names its Availability Zone in a way preflight does not resolve"
			case az != "":
				f.AZ, f.How = az, "the template's"
			default:
				if !azsRead {
					azs, azErr = e.availabilityZones()
					azsRead = true
				}
				switch {
				case azErr != nil:
					f.Err = azErr
				case index >= len(azs):
					f.Unresolved = fmt.Sprintf("Fn::GetAZs lists %d Availability Zones in %s, and the template takes number %d", len(azs), e.region, index)
				default:
					f.AZ, f.How = azs[index], fmt.Sprintf("Fn::GetAZs's number %d in %s, the alphabetical order of the region's AZs", index, e.region)
					if index == 0 {
						f.How = fmt.Sprintf("the first AZ of %s, which Fn::GetAZs gives the instance", e.region)
					}
				}
			}
			if f.Err == nil {
				f.Offered, f.Err = e.offeredIn(f.Type)
			}
			if f.Err == nil && (len(f.Offered) == 0 || f.AZ != "" && !slices.Contains(f.Offered, f.AZ)) {
				f.Alt = "t3.nano"
				if f.Type == f.Alt {
					f.Alt = "t3a.nano"
				}
				f.AltOffered, _ = e.offeredIn(f.Alt)
			}
			results = append(results, natInstanceResult(f))
		}
	}
	if len(results) == 0 {
		return []Result{{Check: "nat instance", Status: OK, Found: "the templates launch no EC2 instance (egress is not nat-instance): no instance type to check"}}
	}
	return results
}

// instanceAZ reads an instance's Availability Zone: a literal (az), or
// Fn::Select [index, Fn::GetAZs] (az ""), from the instance or from the
// subnet it is launched in. ok is false for another shape.
func instanceAZ(t Template, props map[string]any) (az string, index int, ok bool) {
	v, has := props["AvailabilityZone"]
	if !has {
		subnet := refID(props["SubnetId"])
		if nis, _ := props["NetworkInterfaces"].([]any); subnet == "" && len(nis) > 0 {
			ni, _ := nis[0].(map[string]any)
			subnet = refID(ni["SubnetId"])
		}
		r, found := t.Resources[subnet]
		if !found {
			return "", 0, false
		}
		v = r.Properties["AvailabilityZone"]
	}
	if s, isString := v.(string); isString && s != "" {
		return s, 0, true
	}
	m, _ := v.(map[string]any)
	sel, _ := m["Fn::Select"].([]any)
	if len(sel) != 2 {
		return "", 0, false
	}
	var i int
	switch n := sel[0].(type) {
	case float64:
		i = int(n)
	case string:
		if _, err := fmt.Sscan(n, &i); err != nil {
			return "", 0, false
		}
	default:
		return "", 0, false
	}
	g, _ := sel[1].(map[string]any)
	if _, isGetAZs := g["Fn::GetAZs"]; !isGetAZs {
		return "", 0, false
	}
	return "", i, true
}

// availabilityZones lists the region's available AZs (no Local or
// Wavelength Zones), sorted by name as Fn::GetAZs returns them.
func (e *env) availabilityZones() ([]string, error) {
	out, err := e.c.EC2.DescribeAvailabilityZones(e.ctx, &ec2.DescribeAvailabilityZonesInput{
		Filters: []ec2types.Filter{{Name: aws.String("zone-type"), Values: []string{"availability-zone"}}},
	})
	if err != nil {
		return nil, fmt.Errorf("ec2:DescribeAvailabilityZones: %w", err)
	}
	var azs []string
	for _, z := range out.AvailabilityZones {
		if z.State == ec2types.AvailabilityZoneStateAvailable && (z.ZoneType == nil || aws.ToString(z.ZoneType) == "availability-zone") {
			azs = append(azs, aws.ToString(z.ZoneName))
		}
	}
	slices.Sort(azs)
	return azs, nil
}

// offeredIn lists the region's AZs that offer an instance type.
func (e *env) offeredIn(instanceType string) ([]string, error) {
	var azs []string
	var token *string
	for {
		out, err := e.c.EC2.DescribeInstanceTypeOfferings(e.ctx, &ec2.DescribeInstanceTypeOfferingsInput{
			LocationType: ec2types.LocationTypeAvailabilityZone,
			Filters:      []ec2types.Filter{{Name: aws.String("instance-type"), Values: []string{instanceType}}},
			NextToken:    token,
		})
		if err != nil {
			return nil, fmt.Errorf("ec2:DescribeInstanceTypeOfferings: %w", err)
		}
		for _, o := range out.InstanceTypeOfferings {
			if string(o.InstanceType) == instanceType && !slices.Contains(azs, aws.ToString(o.Location)) {
				azs = append(azs, aws.ToString(o.Location))
			}
		}
		if token = out.NextToken; token == nil || *token == "" {
			break
		}
	}
	slices.Sort(azs)
	return azs, nil
}

// natInstanceResult is the line for one instance.
func natInstanceResult(f natInstanceFacts) Result {
	r := Result{Check: "nat instance"}
	what := fmt.Sprintf("the NAT instance %s of %s (natInstanceType %s)", f.ID, f.Stack, f.Type)
	if !strings.Contains(f.ID, "NatInstance") {
		what = fmt.Sprintf("the instance %s of %s (%s)", f.ID, f.Stack, f.Type)
	}
	switch {
	case f.Err != nil:
		r.Status = Warn
		r.Found = fmt.Sprintf("cannot tell whether %s is offered where it is launched: %v", what, shortErr(f.Err))
		r.Fix = fmt.Sprintf("allow ec2:DescribeInstanceTypeOfferings and ec2:DescribeAvailabilityZones, or look yourself: aws ec2 describe-instance-type-offerings --location-type availability-zone --filters Name=instance-type,Values=%s --region %s", f.Type, f.Region)
	case len(f.Offered) == 0:
		r.Status = Fail
		r.Found = fmt.Sprintf("%s is offered in no Availability Zone of %s: its creation would fail and the network stack roll back", what, f.Region)
		r.Fix = natInstanceFix(f)
	case f.Unresolved != "":
		r.Status = Warn
		r.Found = fmt.Sprintf("%s: %s; %s is offered in %s", what, f.Unresolved, f.Type, strings.Join(f.Offered, ", "))
		r.Fix = "check that the instance's AZ is one of them; otherwise " + natInstanceFix(f)
	case !slices.Contains(f.Offered, f.AZ):
		r.Status = Fail
		r.Found = fmt.Sprintf("%s is launched in %s (%s), which does not offer %s: its creation would fail and the network stack roll back; %s is offered in %s",
			what, f.AZ, f.How, f.Type, f.Type, strings.Join(f.Offered, ", "))
		r.Fix = natInstanceFix(f)
	default:
		r.Status = OK
		r.Found = fmt.Sprintf("%s is launched in %s (%s), which offers it", what, f.AZ, f.How)
	}
	return r
}

func natInstanceFix(f natInstanceFacts) string {
	list := fmt.Sprintf("aws ec2 describe-instance-type-offerings --location-type availability-zone --filters Name=location,Values=%s --region %s", f.AZ, f.Region)
	in := f.AZ
	if in == "" {
		in = f.Region
		list = fmt.Sprintf("aws ec2 describe-instance-type-offerings --location-type region --region %s", f.Region)
	}
	suggest := ""
	if f.Alt != "" && (f.AZ != "" && slices.Contains(f.AltOffered, f.AZ) || f.AZ == "" && len(f.AltOffered) > 0) {
		suggest = fmt.Sprintf(", e.g. %s, which %s offers", f.Alt, in)
	}
	return fmt.Sprintf("set natInstanceType to a type %s offers%s (list them: %s), or egress to nat (a NAT gateway); then synthesize and run preflight again",
		in, suggest, list)
}
