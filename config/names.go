package config

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

// Name limits of what the app names after appName and the environment. The
// longest accepted names (20 and 12 characters) make <appName>-<env> 33
// characters long, which two of them cannot hold: those are shortened with
// fitName, and stay as they are whenever they fit.
const (
	maxStackName         = 128  // AWS::CloudFormation::Stack
	maxRepositoryName    = 256  // AWS::ECR::Repository RepositoryName
	maxTaskFamily        = 255  // AWS::ECS::TaskDefinition Family
	maxParameterName     = 1011 // SSM: with the ARN's length; the schema says 2048
	maxConnectionName    = 32   // AWS::CodeStarConnections::Connection ConnectionName
	maxPullThroughPrefix = 30   // AWS::ECR::PullThroughCacheRule EcrRepositoryPrefix
)

// Patterns of the names, from the CloudFormation resource schemas (as
// cfn-lint 1.51 ships them) and the service documentation.
var (
	stackNameRe  = regexp.MustCompile(`^[a-zA-Z][-a-zA-Z0-9]*$`)
	ecrNameRe    = regexp.MustCompile(`^([a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*)$`)
	familyRe     = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	parameterRe  = regexp.MustCompile(`^[a-zA-Z0-9_.\-/]+$`)
	connectionRe = regexp.MustCompile(`^[\s\S]+$`)
)

// DerivedName is a name the app gives a resource, with the limits AWS puts
// on it.
type DerivedName struct {
	Resource string // CloudFormation type and property
	Value    string
	Max      int
	Pattern  *regexp.Regexp
}

// DerivedNames lists every name derived from appName and the environment.
func (c Config) DerivedNames() []DerivedName {
	return []DerivedName{
		{"AWS::CloudFormation::Stack StackName (registry)", c.StackName("registry"), maxStackName, stackNameRe},
		{"AWS::CloudFormation::Stack StackName (network)", c.StackName("network"), maxStackName, stackNameRe},
		{"AWS::CloudFormation::Stack StackName (service)", c.StackName("service"), maxStackName, stackNameRe},
		{"AWS::CloudFormation::Stack StackName (pipeline)", c.StackName("pipeline"), maxStackName, stackNameRe},
		{"AWS::ECR::Repository RepositoryName", c.ResourcePrefix(), maxRepositoryName, ecrNameRe},
		{"AWS::ECS::TaskDefinition Family", c.ResourcePrefix(), maxTaskFamily, familyRe},
		{"AWS::SSM::Parameter Name", c.ImageParameterName(), maxParameterName, parameterRe},
		{"AWS::CodeStarConnections::Connection ConnectionName", c.ConnectionName(), maxConnectionName, connectionRe},
		{"AWS::ECR::PullThroughCacheRule EcrRepositoryPrefix", c.PullThroughPrefix(), maxPullThroughPrefix, ecrNameRe},
	}
}

// ConnectionName names the CodeConnections connection the PipelineStack
// creates: <appName>-<env>, shortened when longer than AWS allows.
func (c Config) ConnectionName() string {
	return fitName(c.ResourcePrefix(), "", maxConnectionName)
}

// PullThroughPrefix is the repository prefix of the ECR pull-through cache
// for ECR Public (egress endpoints): <appName>-<env>-ecr-public, its first
// part shortened when the whole is longer than AWS allows.
func (c Config) PullThroughPrefix() string {
	return fitName(c.ResourcePrefix(), "-ecr-public", maxPullThroughPrefix)
}

// fitName returns stem+suffix when it fits in max characters. Otherwise it
// keeps the head of stem and replaces the rest with 8 hex digits of the
// stem's SHA-256, so the name is stable across synths and stays apart from
// other apps' and environments' names. Since only a name that did not fit
// changes, a deployed resource never gets a new name (and a replacement)
// from this.
func fitName(stem, suffix string, max int) string {
	if len(stem)+len(suffix) <= max {
		return stem + suffix
	}
	sum := sha256.Sum256([]byte(stem))
	hash := hex.EncodeToString(sum[:])[:8]
	head := strings.TrimRight(stem[:max-len(suffix)-len(hash)-1], "-")
	return head + "-" + hash + suffix
}
