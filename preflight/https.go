package preflight

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
)

// ZoneNameMetadata is the resource metadata key under which the Service
// stack records hostedZoneName on the alias record: the zone's name is in
// no CloudFormation property (the CDK only uses it to build record names).
const ZoneNameMetadata = "preflight:hostedZoneName"

// zoneFacts is what the HTTPS check found for one hosted zone ID.
type zoneFacts struct {
	ID string
	// Expected is hostedZoneName as the template records it ("" if not).
	Expected string
	// Names are the DNS names the templates put in the zone: the alias
	// record and the certificate's validation.
	Names []string
	// Actual is the zone's name as Route 53 has it ("" when not read).
	Actual   string
	Private  bool
	NotFound bool
	Err      error
	Account  string
	Profile  string
}

// checkHTTPS checks every hosted zone the templates write to: it exists,
// is public, its name is hostedZoneName, and every name is inside it.
func checkHTTPS(e *env) []Result {
	zones := map[string]*zoneFacts{}
	zone := func(id string) *zoneFacts {
		id = strings.TrimPrefix(id, "/hostedzone/")
		if zones[id] == nil {
			zones[id] = &zoneFacts{ID: id, Account: e.account, Profile: e.profile}
		}
		return zones[id]
	}
	addName := func(z *zoneFacts, name string) {
		name = strings.TrimSuffix(strings.ToLower(name), ".")
		if name != "" && !slices.Contains(z.Names, name) {
			z.Names = append(z.Names, name)
		}
	}
	for _, s := range e.a.Stacks {
		for _, id := range s.Template.ofType("AWS::Route53::RecordSet") {
			res := s.Template.Resources[id]
			zid, _ := res.Properties["HostedZoneId"].(string)
			if zid == "" {
				continue
			}
			z := zone(zid)
			name, _ := res.Properties["Name"].(string)
			addName(z, name)
			if want, _ := res.Metadata[ZoneNameMetadata].(string); want != "" {
				z.Expected = strings.TrimSuffix(strings.ToLower(want), ".")
			}
		}
		for _, id := range s.Template.ofType("AWS::CertificateManager::Certificate") {
			opts, _ := s.Template.Resources[id].Properties["DomainValidationOptions"].([]any)
			for _, o := range opts {
				m, _ := o.(map[string]any)
				zid, _ := m["HostedZoneId"].(string)
				name, _ := m["DomainName"].(string)
				if zid != "" {
					addName(zone(zid), name)
				}
			}
		}
	}
	if len(zones) == 0 {
		return []Result{{Check: "https", Status: OK, Found: "no domainName: the app serves HTTP on the load balancer's name, no hosted zone to check"}}
	}
	var results []Result
	for _, id := range sortedKeys(zones) {
		z := zones[id]
		out, err := e.c.Route53.GetHostedZone(e.ctx, &route53.GetHostedZoneInput{Id: aws.String(id)})
		switch {
		case apiCode(err) == "NoSuchHostedZone":
			z.NotFound = true
		case err != nil:
			z.Err = err
		case out.HostedZone != nil:
			z.Actual = strings.TrimSuffix(strings.ToLower(deref(out.HostedZone.Name)), ".")
			z.Private = out.HostedZone.Config != nil && out.HostedZone.Config.PrivateZone
		}
		results = append(results, zoneResult(*z))
	}
	return results
}

// inZone tells whether a DNS name is the zone's apex or under it.
func inZone(name, zone string) bool {
	return name == zone || strings.HasSuffix(name, "."+zone)
}

// zoneResult is the line of one hosted zone.
func zoneResult(z zoneFacts) Result {
	r := Result{Check: "https"}
	want := z.Expected
	if want == "" && len(z.Names) > 0 {
		want = z.Names[0]
	}
	lookup := fmt.Sprintf("aws route53 list-hosted-zones-by-name --dns-name %s%s", want, profileFlag(z.Profile))
	names := strings.Join(z.Names, ", ")
	var outside []string
	for _, n := range z.Names {
		if z.Actual != "" && !inZone(n, z.Actual) {
			outside = append(outside, n)
		}
	}
	switch {
	case z.Err != nil:
		r.Status = Warn
		r.Found = fmt.Sprintf("could not read hosted zone %s: %s", z.ID, short(z.Err))
		r.Fix = "allow route53:GetHostedZone, or check with: aws route53 get-hosted-zone --id " + z.ID + profileFlag(z.Profile)
	case z.NotFound:
		r.Status = Fail
		r.Found = fmt.Sprintf("hosted zone %s (hostedZoneId) does not exist in account %s: the certificate for %s cannot be validated", z.ID, z.Account, names)
		r.Fix = "set hostedZoneId to the ID of the public zone " + want + ": " + lookup
	case len(outside) > 0:
		r.Status = Fail
		r.Found = fmt.Sprintf("hosted zone %s is %s, and %s is not inside it: Route 53 rejects the records (and the certificate is never validated)", z.ID, z.Actual, strings.Join(outside, ", "))
		r.Fix = "set hostedZoneId to the zone of " + want + " (" + lookup + "), or domainName to a name inside " + z.Actual
	case z.Private:
		r.Status = Fail
		r.Found = fmt.Sprintf("hosted zone %s (%s) is private: ACM cannot validate the certificate through it, and the alias would not resolve on the internet", z.ID, z.Actual)
		r.Fix = "set hostedZoneId to the public zone of " + want + ": " + lookup
	case z.Expected != "" && z.Actual != z.Expected:
		r.Status = Warn
		r.Found = fmt.Sprintf("hosted zone %s is %s, not %s (hostedZoneName); %s is inside it, so the deploy works", z.ID, z.Actual, z.Expected, names)
		r.Fix = "set hostedZoneName to " + z.Actual + " in cdk.json"
	default:
		r.Status = OK
		r.Found = fmt.Sprintf("hosted zone %s is the public zone %s, and %s is inside it", z.ID, z.Actual, names)
	}
	return r
}
