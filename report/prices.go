package report

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// pricesJSON is the one data file every price of the report comes from, so a
// price change is a one-line edit with its date and source beside it.
//
//go:embed prices.json
var pricesJSON []byte

// Price is one list price with the evidence for it: a reader must be able to
// tell how old a figure is and where to check it.
type Price struct {
	USD    float64 `json:"usd"`
	Unit   string  `json:"unit"`
	What   string  `json:"what"`
	AsOf   string  `json:"as_of"`
	Source string  `json:"source"`
	Note   string  `json:"note,omitempty"`
}

// Prices is the parsed data file. Code looks prices up by key through
// Prices.get, never by a number of its own.
type Prices struct {
	Region        string `json:"region"`
	Currency      string `json:"currency"`
	About         string `json:"about"`
	HoursPerMonth struct {
		Value  float64 `json:"value"`
		AsOf   string  `json:"as_of"`
		Source string  `json:"source"`
		Note   string  `json:"note,omitempty"`
	} `json:"hours_per_month"`
	Entries map[string]Price `json:"prices"`
}

// Price keys: the report uses exactly these, and the data file must hold
// exactly these, so neither a missing price nor a stale unused one goes
// unnoticed.
const (
	pNATHour           = "nat_gateway_hour"
	pNATGB             = "nat_gateway_gb"
	pALBHour           = "alb_hour"
	pALBLCUHour        = "alb_lcu_hour"
	pIPv4Hour          = "public_ipv4_hour"
	pFargateX86VCPU    = "fargate_x86_vcpu_hour"
	pFargateX86GB      = "fargate_x86_gb_hour"
	pFargateARMVCPU    = "fargate_arm_vcpu_hour"
	pFargateARMGB      = "fargate_arm_gb_hour"
	pFargateEphemeral  = "fargate_ephemeral_gb_hour"
	pSpotX86VCPU       = "fargate_spot_x86_vcpu_hour"
	pSpotX86GB         = "fargate_spot_x86_gb_hour"
	pSpotARMVCPU       = "fargate_spot_arm_vcpu_hour"
	pSpotARMGB         = "fargate_spot_arm_gb_hour"
	pEBSgp3            = "ebs_gp3_gb_month"
	pEndpointAZHour    = "interface_endpoint_az_hour"
	pEndpointGB        = "interface_endpoint_gb"
	pInterAZGB         = "inter_az_gb"
	pLogsIngestGB      = "logs_ingest_gb"
	pLogsStorageGB     = "logs_storage_gb_month"
	pAlarmMonth        = "cloudwatch_alarm_month"
	pAlarmHighResMonth = "cloudwatch_alarm_high_res_month"
	pPipelineV2Minute  = "codepipeline_v2_action_minute"
	pPipelineV1Month   = "codepipeline_v1_month"
	pBuildLinuxSmall   = "codebuild_linux_small_minute"
	pBuildLinuxMedium  = "codebuild_linux_medium_minute"
	pBuildLinuxLarge   = "codebuild_linux_large_minute"
	pBuildLinuxXLarge  = "codebuild_linux_xlarge_minute"
	pBuildLinux2XLarge = "codebuild_linux_2xlarge_minute"
	pBuildARMSmall     = "codebuild_arm_small_minute"
	pBuildARMLarge     = "codebuild_arm_large_minute"
	pECRStorage        = "ecr_storage_gb_month"
	pS3Storage         = "s3_standard_gb_month"
	pKMSKey            = "kms_key_month"
	pSSMAdvanced       = "ssm_advanced_parameter_month"
)

// priceKeys lists every key above; ParsePrices checks the file against it.
var priceKeys = []string{
	pNATHour, pNATGB, pALBHour, pALBLCUHour, pIPv4Hour,
	pFargateX86VCPU, pFargateX86GB, pFargateARMVCPU, pFargateARMGB, pFargateEphemeral,
	pSpotX86VCPU, pSpotX86GB, pSpotARMVCPU, pSpotARMGB, pEBSgp3,
	pEndpointAZHour, pEndpointGB, pInterAZGB,
	pLogsIngestGB, pLogsStorageGB, pAlarmMonth, pAlarmHighResMonth,
	pPipelineV2Minute, pPipelineV1Month,
	pBuildLinuxSmall, pBuildLinuxMedium, pBuildLinuxLarge, pBuildLinuxXLarge, pBuildLinux2XLarge,
	pBuildARMSmall, pBuildARMLarge,
	pECRStorage, pS3Storage, pKMSKey, pSSMAdvanced,
}

func init() {
	for _, t := range ec2InstanceTypes {
		priceKeys = append(priceKeys, ec2Key(t))
	}
}

// ec2InstanceTypes are the instance types prices.json prices: the NAT
// instance's default and its neighbours.
var ec2InstanceTypes = []string{"t4g.nano", "t4g.micro", "t4g.small", "t3.nano", "t3.micro", "t3.small"}

// ec2Key is the price key of an instance type: "t4g.nano" -> "ec2_t4g_nano_hour".
func ec2Key(instanceType string) string {
	return "ec2_" + strings.ReplaceAll(instanceType, ".", "_") + "_hour"
}

var asOfPattern = regexp.MustCompile(`^\d{4}-\d{2}(-\d{2})?$`)

// DefaultPrices returns the prices of the embedded prices.json.
func DefaultPrices() (Prices, error) {
	return ParsePrices(pricesJSON)
}

// ParsePrices reads a prices file and checks that it holds exactly the
// prices the report uses, each with a non-negative figure, a unit, a date and
// a source: a figure without them cannot be checked by whoever reads it.
func ParsePrices(data []byte) (Prices, error) {
	var p Prices
	if err := json.Unmarshal(data, &p); err != nil {
		return Prices{}, fmt.Errorf("reading prices: %w", err)
	}
	var problems []string
	if p.HoursPerMonth.Value <= 0 {
		problems = append(problems, "hours_per_month.value: must be positive")
	}
	if !asOfPattern.MatchString(p.HoursPerMonth.AsOf) || p.HoursPerMonth.Source == "" {
		problems = append(problems, "hours_per_month: needs as_of (YYYY-MM or YYYY-MM-DD) and source")
	}
	for _, k := range priceKeys {
		e, ok := p.Entries[k]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("prices.%s: missing: the report uses it", k))
		case e.USD < 0:
			problems = append(problems, fmt.Sprintf("prices.%s: usd %v is negative", k, e.USD))
		case e.Unit == "" || e.What == "":
			problems = append(problems, fmt.Sprintf("prices.%s: needs unit and what", k))
		case !asOfPattern.MatchString(e.AsOf):
			problems = append(problems, fmt.Sprintf("prices.%s: as_of %q is not a date such as 2025-06 or 2025-06-01", k, e.AsOf))
		case !strings.HasPrefix(e.Source, "https://"):
			problems = append(problems, fmt.Sprintf("prices.%s: source %q is not a https:// URL of the pricing page", k, e.Source))
		}
	}
	for k := range p.Entries {
		if !slices.Contains(priceKeys, k) {
			problems = append(problems, fmt.Sprintf("prices.%s: not used by the report: remove it or use it", k))
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return Prices{}, fmt.Errorf("invalid prices file:\n%s", strings.Join(problems, "\n"))
	}
	return p, nil
}

// get returns a price by key. Keys are constants checked by ParsePrices, so
// a missing one is a programming error.
func (p Prices) get(key string) Price {
	e, ok := p.Entries[key]
	if !ok {
		panic(fmt.Sprintf("report: price %q is not in the prices file", key))
	}
	return e
}

// usd returns a price's figure by key.
func (p Prices) usd(key string) float64 { return p.get(key).USD }

// hours is the hours in a month from the data file.
func (p Prices) hours() float64 { return p.HoursPerMonth.Value }

// AsOfRange returns the oldest and newest as_of dates of the prices, for
// the report's heading.
func (p Prices) AsOfRange() (oldest, newest string) {
	for _, e := range p.Entries {
		if oldest == "" || e.AsOf < oldest {
			oldest = e.AsOf
		}
		if e.AsOf > newest {
			newest = e.AsOf
		}
	}
	return oldest, newest
}
