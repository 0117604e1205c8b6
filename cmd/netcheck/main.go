// Command netcheck proves, from a CDK app's synthesized templates, that the
// network lets through what the app needs and nothing it must not, naming
// the rules that decide each path hop by hop.
//
//	go run ./cmd/netcheck [cdk.out]                      # the required paths
//	go run ./cmd/netcheck --json cdk.out                 # the same, as JSON
//	go run ./cmd/netcheck --from ServiceD69D759B --to ecr.dkr --port 443
//	go run ./cmd/netcheck --svg network.svg cdk.out      # also draw the network and the paths
//
// Exit status: 0 when every required path holds (or the asked path is
// allowed), 1 when one is broken (or the asked path is not allowed), 2 for
// a usage error such as a missing directory or an unknown resource.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cdkdemo/fargate/netcheck"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("netcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON instead of the matrix")
	from := fs.String("from", "", "check one path from: a logical ID, \"internet\" or a CIDR")
	to := fs.String("to", "", "check one path to: a logical ID, \"internet\", a CIDR or an AWS service such as ecr.dkr")
	port := fs.Int("port", 0, "destination port of the path (with --from/--to)")
	proto := fs.String("proto", "tcp", "protocol of the path: tcp, udp or icmp")
	egress := fs.String("egress", "", "egress mode the templates were synthesized with: nat, nat-per-az or endpoints (default: inferred)")
	sources := fs.String("allowed-cidrs", "", "comma-separated CIDRs the load balancer must admit (the app's allowedCidrs; default: what its security groups admit)")
	testSources := fs.String("test-listener-cidrs", "", "comma-separated CIDRs the test listener of a blue/green, canary or linear service may admit besides the VPC (the app's testListenerCidrs; default: the public ones its security groups admit); every other internet address must be denied")
	model := fs.Bool("model", false, "print the network model netcheck built, then exit")
	quiet := fs.Bool("q", false, "print the matrix and the broken paths only, not every hop of every path")
	svg := fs.String("svg", "", "also write a picture of the network with the required paths as arrows to this SVG `file`")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: netcheck [flags] [cdk.out]\n\nChecks the network of a synthesized CDK app before deploy.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(stderr, "netcheck: one cloud assembly directory at most, got %s\n", strings.Join(fs.Args(), " "))
		return 2
	}
	switch *egress {
	case "", "nat", "nat-per-az", "endpoints":
	default:
		fmt.Fprintf(stderr, "netcheck: --egress %q: must be nat, nat-per-az or endpoints\n", *egress)
		return 2
	}
	if (*from == "") != (*to == "") {
		fmt.Fprintln(stderr, "netcheck: --from and --to go together")
		return 2
	}
	if *svg != "" && (*from != "" || *model) {
		fmt.Fprintln(stderr, "netcheck: --svg draws the required paths: it does not go with --from/--to or --model")
		return 2
	}
	dir := "cdk.out"
	if fs.NArg() == 1 {
		dir = fs.Arg(0)
	}
	m, err := netcheck.Load(dir)
	if err != nil {
		fmt.Fprintf(stderr, "netcheck: %v\n", err)
		return 2
	}
	if *model {
		fmt.Fprint(stdout, m.Describe())
		return 0
	}
	if *from != "" {
		res, err := m.Check(netcheck.Query{From: *from, To: *to, Proto: *proto, Port: *port})
		if err != nil {
			fmt.Fprintf(stderr, "netcheck: %v\n", err)
			return 2
		}
		if *asJSON {
			err = writeJSON(stdout, res)
		} else {
			err = res.WriteText(stdout)
		}
		if err != nil {
			fmt.Fprintf(stderr, "netcheck: %v\n", err)
			return 2
		}
		if res.Verdict != netcheck.Allowed {
			return 1
		}
		return 0
	}
	var cidrs []string
	for _, c := range strings.Split(*sources, ",") {
		if c = strings.TrimSpace(c); c != "" {
			cidrs = append(cidrs, c)
		}
	}
	var testCidrs []string
	for _, c := range strings.Split(*testSources, ",") {
		if c = strings.TrimSpace(c); c != "" {
			testCidrs = append(testCidrs, c)
		}
	}
	rep := m.Required(netcheck.Options{Egress: *egress, InternetSources: cidrs, TestSources: testCidrs})
	if *svg != "" {
		if err := writeSVG(*svg, m, rep); err != nil {
			fmt.Fprintf(stderr, "netcheck: --svg: %v\n", err)
			return 2
		}
		fmt.Fprintf(stderr, "netcheck: wrote %s\n", *svg)
	}
	switch {
	case *asJSON:
		err = rep.WriteJSON(stdout)
	case *quiet:
		err = rep.WriteSummary(stdout)
	default:
		err = rep.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "netcheck: %v\n", err)
		return 2
	}
	if !rep.OK {
		fmt.Fprintf(stderr, "netcheck: %d required network path(s) broken in %s\n", len(rep.Broken()), dir)
		return 1
	}
	return 0
}

// writeSVG draws the picture in memory first, so a failure leaves no
// half-written file.
func writeSVG(path string, m *netcheck.Model, rep netcheck.Report) error {
	var b bytes.Buffer
	if err := m.WriteSVG(&b, rep); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
