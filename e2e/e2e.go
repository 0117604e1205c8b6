//go:build e2e

// Package e2e tests the Registry, Network and Service stacks end to end: the
// real CDK CLI deploys them into a local AWS emulator (moto server), and the
// tests compare what the emulated account holds with what the synthesized
// templates promise, through the day-2 lifecycle.
//
// scripts/e2e.sh (`make e2e`) starts the emulator, synthesizes and deploys,
// and runs the tests of this package phase by phase (TestDeployed*, then
// TestPipelineRuns, TestRedeployed, TestEgressSwitched, TestInventory,
// TestDestroyed, TestRegistryKept, TestRedeployedAfterDestroy,
// TestRejectsBadConfig, TestCoverage). Every file carries the build tag e2e,
// so `go test ./...` never reaches them; run on their own, without the
// script's environment, they fail at once.
//
// This file holds what the tests and cmd cfnresponder share: the connection
// to the emulator, and the template model.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Environment variables scripts/e2e.sh sets for the tests and the responder.
const (
	// EnvEndpoint is the moto server's URL, http://localhost:PORT.
	EnvEndpoint = "E2E_ENDPOINT_URL"
	// EnvWork is the run's work directory: deployments.tsv, the synthesized
	// assemblies under out/, the moto log, and the files phases hand on.
	EnvWork = "E2E_WORK"
	// EnvMotoLog is the moto server's log, read for skipped resource types.
	EnvMotoLog = "E2E_MOTO_LOG"
)

// Region is the one region the run uses.
const Region = "us-east-1"

// Endpoint returns the emulator's URL. It refuses anything but localhost:
// these tests create and delete resources, and must never reach a real
// account, whatever the environment says.
func Endpoint() (string, error) {
	raw := os.Getenv(EnvEndpoint)
	if raw == "" {
		return "", fmt.Errorf("%s is not set: these tests inspect the moto server that scripts/e2e.sh starts; run `make e2e`", EnvEndpoint)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%s=%q is not a URL: %w", EnvEndpoint, raw, err)
	}
	if host := u.Hostname(); host != "localhost" && host != "127.0.0.1" {
		return "", fmt.Errorf("%s=%q: refusing to run against %q: the end-to-end tests only talk to a local emulator", EnvEndpoint, raw, host)
	}
	return strings.TrimSuffix(raw, "/"), nil
}

// AWSConfig is an SDK configuration for the emulator: its endpoint, dummy
// static credentials, and no shared config or credentials file.
func AWSConfig(ctx context.Context) (aws.Config, error) {
	endpoint, err := Endpoint()
	if err != nil {
		return aws.Config{}, err
	}
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(Region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
		config.WithBaseEndpoint(endpoint),
		config.WithRetryMaxAttempts(2),
	)
	if err != nil {
		return aws.Config{}, fmt.Errorf("AWS SDK configuration for %s: %w", endpoint, err)
	}
	return cfg, nil
}

// Template is the part of a CloudFormation template the tests read.
type Template struct {
	Parameters map[string]struct {
		Type    string `json:"Type"`
		Default any    `json:"Default"`
	} `json:"Parameters"`
	Conditions map[string]any      `json:"Conditions"`
	Resources  map[string]Resource `json:"Resources"`
	Outputs    map[string]struct {
		Value  any `json:"Value"`
		Export *struct {
			Name any `json:"Name"`
		} `json:"Export"`
	} `json:"Outputs"`
}

// Resource is one resource of a Template.
type Resource struct {
	Type           string         `json:"Type"`
	Properties     map[string]any `json:"Properties"`
	DeletionPolicy string         `json:"DeletionPolicy"`
	Metadata       map[string]any `json:"Metadata"`
}

// ParseTemplate reads a template's JSON.
func ParseTemplate(body []byte) (Template, error) {
	var t Template
	if err := json.Unmarshal(body, &t); err != nil {
		return Template{}, fmt.Errorf("template is not valid JSON: %w", err)
	}
	return t, nil
}

// OfType lists the logical IDs of the template's resources of a type,
// sorted, so a test indexes them the same way every run.
func (t Template) OfType(typ string) []string {
	var ids []string
	for id, r := range t.Resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// IsCustomResource tells whether a resource type is backed by a Lambda
// function the template deploys (Custom::Name or the generic type).
func IsCustomResource(typ string) bool {
	return strings.HasPrefix(typ, "Custom::") || typ == "AWS::CloudFormation::CustomResource"
}

// AccountOfStack reads the account ID out of a stack ARN.
func AccountOfStack(stackID string) (string, error) {
	parts := strings.Split(stackID, ":")
	if len(parts) < 6 || parts[4] == "" {
		return "", fmt.Errorf("stack ID %q is not an ARN with an account", stackID)
	}
	return parts[4], nil
}
