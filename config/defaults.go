package config

// DefaultAppName is the app name when cdk.json sets none.
const DefaultAppName = "demo"

// DefaultEnvironment is the environment chosen when `-c env=` is not given.
const DefaultEnvironment = "dev"

// ProductionEnvironment is the environment name that gets production
// defaults: a NAT gateway per AZ, a manual approval, longer log retention and
// an artifact bucket that keeps its objects.
const ProductionEnvironment = "prod"

// DefaultPlaceholderImage is what the service runs until the pipeline has
// pushed an image: it comes from ECR Public, so the first deploy needs no
// push and no Docker Hub login. It answers "/" on port 80, which is why
// Validate insists on those while it is in use.
const DefaultPlaceholderImage = "public.ecr.aws/nginx/nginx:stable-alpine"

// defaults is the one place where default values live. The production
// environment differs where the trade-off goes the other way.
func defaults(appName, env string) Config {
	prod := env == ProductionEnvironment
	c := Config{
		AppName:     appName,
		Environment: env,
		Network: Network{
			VpcCidr:              "10.0.0.0/16",
			SubnetMask:           24,
			Egress:               EgressNat,
			FlowLogRetentionDays: 30,
			// Graviton, the cheapest instance that can do NAT: $3 a month.
			NatInstanceType: "t4g.nano",
		},
		Service: Service{
			Cpu:       512,
			MemoryMiB: 1024,
			// Graviton: 20 % below X86_64 for the same task size. The
			// placeholder (nginx) and the sample app are built for both.
			Architecture:           "ARM64",
			ContainerPort:          80,
			LogRetentionDays:       30,
			Environment:            map[string]string{},
			Secrets:                map[string]string{},
			MinCount:               2,
			MaxCount:               4,
			ScaleCpuPercent:        60,
			ScaleRequestsPerTarget: 1000,
			Capacity:               CapacityOnDemand,
			OnDemandBaseCount:      1,

			HealthCheckGracePeriodSeconds: 30,
			AllowedCidrs:                  []string{"0.0.0.0/0"},
			HealthCheck: HealthCheck{
				Path:               "/",
				IntervalSeconds:    10,
				TimeoutSeconds:     5,
				HealthyThreshold:   2,
				UnhealthyThreshold: 3,
				Matcher:            "200-399",
			},
			DeregistrationDelaySeconds: 30,
			AccessLogs:                 true,
			KeepImages:                 30,
			PlaceholderImage:           DefaultPlaceholderImage,
			// /tmp for any app; the others are where the placeholder (nginx)
			// writes its pid and caches.
			WritablePaths: []string{"/tmp", "/var/cache/nginx", "/var/run"},
			// AWS's own defaults would bake for 36 hours; these fit the
			// pipeline's hour and still watch the new image for minutes.
			Rollout: Rollout{
				Strategy:          StrategyRolling,
				BakeMinutes:       10,
				CanaryPercent:     10,
				CanaryBakeMinutes: 10,
				StepPercent:       25,
				StepBakeMinutes:   5,
				Alarms:            true,
				ErrorRatePercent:  5,
				LatencyP95Ms:      1000,
				MinRequests:       20,
			},
		},
		Pipeline: Pipeline{
			Provider:             "GitHub",
			Branch:               "main",
			ComputeType:          "SMALL",
			Dockerfile:           "app/Dockerfile",
			BuildContext:         "app",
			DeployTimeoutMinutes: 20,
			AutoDeleteArtifacts:  true,
			SmokeTest:            true,
		},
	}
	if prod {
		c.Network.Egress = EgressNatPerAz
		c.Network.FlowLogRetentionDays = 365
		c.Service.LogRetentionDays = 365
		c.Service.MaxCount = 10
		// The images prod has run so far are X86_64: a change of
		// architecture is a decision of its own, not a default.
		c.Service.Architecture = "X86_64"
		c.Service.DeletionProtection = true
		// A bad image reaches canaryPercent of the users, for the minutes
		// an alarm takes, instead of everyone (docs/deployments.md).
		c.Service.Rollout.Strategy = StrategyCanary
		c.Pipeline.DeployTimeoutMinutes = 30
		c.Pipeline.ManualApproval = true
		c.Pipeline.AutoDeleteArtifacts = false
	}
	return c
}
