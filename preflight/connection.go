package preflight

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codestarconnections"
)

// connectionFacts is what the connection check found for one source action.
type connectionFacts struct {
	Stack string
	// ARN is the connection's ARN: connectionArn from the configuration, or
	// the physical ID of the connection the deployed stack created ("" when
	// the stack is not deployed yet).
	ARN string
	// Created: the stack creates the connection (no connectionArn); Name
	// and Provider are the template's.
	Created         bool
	Name, Provider  string
	Status          string // PENDING, AVAILABLE, ERROR; "" when not read
	NotFound        bool
	Err             error
	Region, Profile string
}

// connectionTypes are the resource types of a connection.
var connectionTypes = []string{"AWS::CodeStarConnections::Connection", "AWS::CodeConnections::Connection"}

// checkConnection reads the status of every connection a pipeline source
// action uses: connectionArn when given, otherwise the one the Pipeline
// stack creates, once it is deployed.
func checkConnection(e *env) []Result {
	var results []Result
	for _, s := range e.a.Stacks {
		for _, id := range s.Template.ofType("AWS::CodePipeline::Pipeline") {
			for _, conn := range sourceConnections(s.Template.Resources[id]) {
				f := connectionFacts{Stack: s.Name, Region: e.region, Profile: e.profile}
				switch v := conn.(type) {
				case string:
					f.ARN = v
				default:
					refs := references(v)
					if len(refs) != 1 {
						continue
					}
					res, ok := s.Template.Resources[refs[0]]
					if !ok {
						continue
					}
					f.Created = true
					f.Name, _ = res.Properties["ConnectionName"].(string)
					f.Provider, _ = res.Properties["ProviderType"].(string)
					if d := e.deployedStack(s.Name); d.Stack != nil {
						f.ARN = d.Resources[refs[0]]
					}
				}
				if f.ARN != "" {
					out, err := e.c.Connections.GetConnection(e.ctx, &codestarconnections.GetConnectionInput{ConnectionArn: aws.String(f.ARN)})
					switch {
					case apiCode(err) == "ResourceNotFoundException":
						f.NotFound = true
					case err != nil:
						f.Err = err
					case out.Connection != nil:
						f.Status = string(out.Connection.ConnectionStatus)
						f.Name = deref(out.Connection.ConnectionName)
						f.Provider = string(out.Connection.ProviderType)
					}
				}
				results = append(results, connectionResult(f))
			}
		}
	}
	if len(results) == 0 {
		results = append(results, Result{Check: "connection", Status: OK, Found: "no pipeline source action uses a connection"})
	}
	return results
}

// sourceConnections lists the ConnectionArn values of a pipeline's
// CodeStarSourceConnection actions: a literal ARN, or a reference to a
// connection in the same template.
func sourceConnections(pipeline Resource) []any {
	var out []any
	stages, _ := pipeline.Properties["Stages"].([]any)
	for _, st := range stages {
		actions, _ := st.(map[string]any)["Actions"].([]any)
		for _, a := range actions {
			action, _ := a.(map[string]any)
			typ, _ := action["ActionTypeId"].(map[string]any)
			if typ["Provider"] != "CodeStarSourceConnection" {
				continue
			}
			cfg, _ := action["Configuration"].(map[string]any)
			if arn, ok := cfg["ConnectionArn"]; ok {
				out = append(out, arn)
			}
		}
	}
	return out
}

// connectionsConsole is the console page of the region's connections.
func connectionsConsole(region string) string {
	return fmt.Sprintf("https://%s.console.aws.amazon.com/codesuite/settings/connections?region=%s", region, region)
}

// savePipelineNote is AWS's known trap with a pipeline created while its
// connection was pending.
const savePipelineNote = "a pipeline created before the approval may need to be saved again (CodePipeline console: Edit, Save) before pushes start it"

// connectionResult is the line of one connection.
func connectionResult(f connectionFacts) Result {
	r := Result{Check: "connection"}
	label := "connection " + f.ARN
	if f.Name != "" {
		label = fmt.Sprintf("connection %s (%s, %s)", f.Name, f.Provider, f.ARN)
	}
	handshake := fmt.Sprintf("complete the handshake in the console: %s (Developer Tools > Settings > Connections > %s > Update pending connection); then %s", connectionsConsole(f.Region), orName(f.Name), savePipelineNote)
	switch {
	case f.Created && f.ARN == "":
		r.Status = Warn
		r.Found = fmt.Sprintf("the deploy of %s creates connection %s (%s); it starts PENDING, and the pipeline's source stage fails until it is approved", f.Stack, orName(f.Name), f.Provider)
		r.Fix = "after the deploy, " + handshake
	case f.Err != nil:
		r.Status = Warn
		r.Found = fmt.Sprintf("could not read %s: %s", label, short(f.Err))
		r.Fix = "allow codestar-connections:GetConnection, or look in the console: " + connectionsConsole(f.Region)
	case f.NotFound:
		r.Status = Fail
		r.Found = fmt.Sprintf("%s does not exist in this account and region: the pipeline's source stage cannot run", label)
		r.Fix = "set connectionArn to a connection of this account in " + f.Region + " (aws codestar-connections list-connections --region " + f.Region + profileFlag(f.Profile) + "), or leave it empty and the Pipeline stack creates one"
	case f.Status == "AVAILABLE":
		r.Status = OK
		r.Found = label + " is AVAILABLE"
	case f.Status == "PENDING":
		r.Status = Warn
		r.Found = label + " is PENDING: nobody has approved it yet, and the pipeline's source stage fails until then"
		r.Fix = handshake
	default:
		r.Status = Warn
		r.Found = fmt.Sprintf("%s is %s, not AVAILABLE: the pipeline's source stage fails until it is", label, f.Status)
		r.Fix = "update it in the console, or delete it and create a new one: " + connectionsConsole(f.Region) + "; then " + savePipelineNote
	}
	return r
}

func orName(name string) string {
	if name == "" {
		return "the connection"
	}
	return name
}
