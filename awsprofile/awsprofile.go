// Package awsprofile loads the AWS SDK configuration the repository's
// commands (preflight, cfnsync) share: the SDK's standard credential chain,
// with an AWS CLI profile when one is named, the region the stacks are
// pinned to or else the profile's, and credentials that actually resolve.
// Each failure is a sentence that says what to run. The SDK reads
// AWS_ENDPOINT_URL itself, which is how the tests point it at an emulator.
package awsprofile

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// Config is a loaded configuration and where its region came from.
type Config struct {
	aws.Config
	// ProfileRegion is the profile's own region ("" for none), which may
	// differ from Region when the stacks are pinned to another.
	ProfileRegion string
}

// Resolve loads the configuration of profile ("" for the default chain),
// sets the region to pinnedRegion when the stacks are pinned to one, and
// checks that credentials resolve.
func Resolve(ctx context.Context, profile, pinnedRegion string) (Config, error) {
	cfg, err := Load(ctx, profile)
	if err != nil {
		return Config{}, err
	}
	c := Config{Config: cfg, ProfileRegion: cfg.Region}
	if pinnedRegion != "" {
		c.Region = pinnedRegion
	}
	if c.Region == "" {
		return Config{}, fmt.Errorf("no AWS region: the stacks are not pinned to one and %s names none; set it with `aws configure set region eu-west-1%s`, or set AWS_REGION",
			Name(profile), Flag(profile))
	}
	if err := HaveCredentials(ctx, c.Config, profile); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Load loads the SDK's configuration: the standard chain, with the
// profile when one is named.
func Load(ctx context.Context, profile string) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	var missing config.SharedConfigProfileNotExistError
	if errors.As(err, &missing) {
		return aws.Config{}, fmt.Errorf("AWS profile %q not found in ~/.aws/config or ~/.aws/credentials: create it with `aws configure --profile %s`, or name another with PROFILE=", profile, profile)
	}
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading the AWS configuration of %s: %v", Name(profile), err)
	}
	return cfg, nil
}

// HaveCredentials fails, in a plain sentence, when the chain finds none.
func HaveCredentials(ctx context.Context, cfg aws.Config, profile string) error {
	if cfg.Credentials == nil {
		return fmt.Errorf("no AWS credentials in %s: configure them with `aws configure%s`, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", Name(profile), Flag(profile))
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return fmt.Errorf("no AWS credentials in %s: configure them with `aws configure%s` (or log in: aws sso login%s), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (%v)",
			Name(profile), Flag(profile), Flag(profile), err)
	}
	return nil
}

// Name names where the credentials come from, for messages.
func Name(profile string) string {
	if profile == "" {
		return "the default credential chain (no --profile)"
	}
	return "profile " + profile
}

// Flag is the --profile option to repeat in a printed command ("" for none).
func Flag(profile string) string {
	if profile == "" {
		return ""
	}
	return " --profile " + profile
}
