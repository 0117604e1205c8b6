package netcheck

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// node is one element of a parsed SVG.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []node     `xml:",any"`
	Text    string     `xml:",chardata"`
}

func (n node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n node) num(name string) float64 {
	v, _ := strconv.ParseFloat(n.attr(name), 64)
	return v
}

// content is the text of an element and all its children.
func (n node) content() string {
	var b strings.Builder
	b.WriteString(n.Text)
	for _, c := range n.Nodes {
		b.WriteString(c.content())
	}
	return b.String()
}

// walk calls fn for every element under n, with its ancestors.
func (n node) walk(fn func(n node, up []node)) {
	var rec func(n node, up []node)
	rec = func(n node, up []node) {
		fn(n, up)
		for _, c := range n.Nodes {
			rec(c, append(slices.Clip(up), n))
		}
	}
	rec(n, nil)
}

// parseSVG decodes the whole document: one <svg> root, nothing after it.
func parseSVG(t *testing.T, b []byte) node {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	var root node
	if err := dec.Decode(&root); err != nil {
		t.Fatalf("not well-formed XML: %v", err)
	}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML after the root: %v", err)
		}
		if cd, ok := tok.(xml.CharData); !ok || len(bytes.TrimSpace(cd)) > 0 {
			t.Fatalf("content after the root element: %#v", tok)
		}
	}
	if root.XMLName.Local != "svg" || root.XMLName.Space != "http://www.w3.org/2000/svg" {
		t.Fatalf("root is %v, want an SVG <svg>", root.XMLName)
	}
	return root
}

// picture is an assembly, its report and its picture.
type picture struct {
	dir  string
	m    *Model
	rep  Report
	svg  []byte
	root node
}

func draw(t *testing.T, dir string) picture {
	t.Helper()
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	rep := m.Required(Options{})
	var b bytes.Buffer
	if err := m.WriteSVG(&b, rep); err != nil {
		t.Fatal(err)
	}
	return picture{dir, m, rep, b.Bytes(), parseSVG(t, b.Bytes())}
}

// assemblies are every crafted and golden cloud assembly.
func assemblies(t *testing.T) []string {
	crafted, _ := filepath.Glob(filepath.Join("testdata", "*", "manifest.json"))
	golden, _ := filepath.Glob(filepath.Join("..", "testdata", "golden", "*", "Network.template.json"))
	if len(crafted) < 10 || len(golden) < 4 {
		t.Fatalf("found %d crafted and %d golden assemblies", len(crafted), len(golden))
	}
	var out []string
	for _, f := range append(crafted, golden...) {
		out = append(out, filepath.Dir(f))
	}
	return out
}

// TestSVG draws every assembly and checks the picture against the model
// and the report it was drawn from: well-formed, README-sized, naming
// every subnet, gateway, endpoint, load balancer and ECS service, one
// arrow per required path with its verdict, colour and style.
func TestSVG(t *testing.T) {
	for _, dir := range assemblies(t) {
		t.Run(dir, func(t *testing.T) {
			p := draw(t, dir)
			if w := p.root.attr("width"); w != "800" {
				t.Errorf("width %s, want 800 (README width)", w)
			}
			if vb := p.root.attr("viewBox"); vb != "0 0 800 "+p.root.attr("height") {
				t.Errorf("viewBox %q does not match width and height", vb)
			}
			// The texts of the drawing, not of the list of paths under it.
			var texts []string
			p.root.walk(func(n node, up []node) {
				if n.XMLName.Local != "text" {
					return
				}
				if size := n.num("font-size"); size < small {
					t.Errorf("text %q at %v px: below %v px", n.content(), size, small)
				}
				if !slices.ContainsFunc(up, func(g node) bool { return g.attr("data-part") == "list" }) {
					texts = append(texts, n.content())
				}
			})
			named := func(kind, name string) {
				for _, s := range texts {
					if nameIndex(s, name) >= 0 {
						return
					}
				}
				t.Errorf("the picture does not name %s %s", kind, name)
			}
			for _, v := range p.m.VPCs {
				named("VPC", v.Name())
				for _, c := range v.CIDRs {
					named("VPC CIDR", c)
				}
			}
			for _, sn := range p.m.Subnets {
				named("subnet", sn.Name())
				named("the CIDR of subnet "+sn.Name(), sn.CIDR)
			}
			for _, igw := range p.m.IGWs {
				named("internet gateway", igw.Name())
			}
			for _, n := range p.m.NATs {
				named("NAT gateway", n.Name())
			}
			for _, ep := range p.m.Endpoints {
				named("endpoint", ep.Name())
			}
			for _, lb := range p.m.LoadBalancers {
				named("load balancer", lb.Name())
			}
			for _, s := range p.m.Services {
				named("ECS service", s.Name())
			}
			checkArrows(t, p)
		})
	}
}

// checkArrows checks there is one arrow per required path and that each
// shows the verdict netcheck gave: green and solid when the path holds, red
// and dashed with a ✘ when not, an arrowhead when traffic gets through and
// a bar when it is blocked, the reason in its tooltip.
func checkArrows(t *testing.T, p picture) {
	t.Helper()
	var arrows []node
	p.root.walk(func(n node, _ []node) {
		if n.attr("data-path") != "" {
			arrows = append(arrows, n)
		}
	})
	if len(arrows) != len(p.rep.Checks) {
		t.Errorf("%d arrows for %d required paths", len(arrows), len(p.rep.Checks))
	}
	for i, c := range p.rep.Checks {
		k := slices.IndexFunc(arrows, func(a node) bool { return a.attr("data-path") == strconv.Itoa(i+1) })
		if k < 0 {
			t.Errorf("no arrow for path %d %s -> %s", i+1, c.From, c.To)
			continue
		}
		a := arrows[k]
		got := fmt.Sprintf("%s -> %s %s: %s (want %s, ok %s)", a.attr("data-from"), a.attr("data-to"), a.attr("data-traffic"), a.attr("data-verdict"), a.attr("data-want"), a.attr("data-ok"))
		want := fmt.Sprintf("%s -> %s %s: %s (want %s, ok %t)", c.From, c.To, c.Traffic, c.Verdict, c.Want, c.OK)
		if got != want {
			t.Errorf("arrow %d is %s, netcheck says %s", i+1, got, want)
		}
		var path, title node
		var marks []string
		a.walk(func(n node, _ []node) {
			switch n.XMLName.Local {
			case "path":
				path = n
			case "title":
				title = n
			case "text":
				if s := n.content(); strings.ContainsAny(s, "✓✘") {
					marks = append(marks, s)
				}
			}
		})
		colour, dashed, mark := okInk, false, "✓"
		if !c.OK {
			colour, dashed, mark = badInk, true, "✘"
		}
		if path.attr("stroke") != colour || (path.attr("stroke-dasharray") != "") != dashed {
			t.Errorf("arrow %d (%s, ok %v) has stroke %s, dashes %q; want %s, dashed %v", i+1, c.Verdict, c.OK, path.attr("stroke"), path.attr("stroke-dasharray"), colour, dashed)
		}
		end := "head-"
		if c.Verdict == Denied {
			end = "stop-"
		}
		if m := path.attr("marker-end"); !strings.HasPrefix(m, "url(#"+end) {
			t.Errorf("arrow %d (%s) ends in %s, want %s...", i+1, c.Verdict, m, end)
		}
		if len(marks) == 0 || !strings.Contains(strings.Join(marks, " "), mark) || !c.OK && strings.Contains(strings.Join(marks, " "), "✓") {
			t.Errorf("arrow %d (ok %v) is captioned %q, want %s", i+1, c.OK, marks, mark)
		}
		if !strings.Contains(title.content(), c.Reason) {
			t.Errorf("arrow %d's tooltip %q lacks the reason %q", i+1, title.content(), c.Reason)
		}
	}
}

// TestSVGBreaks checks that the picture of a broken network shows where it
// breaks: the route table, NACL or security group that stops a path says
// so, and a picture of a sound network marks nothing.
func TestSVGBreaks(t *testing.T) {
	const (
		pub1  = "VpcPublicSubnet1Subnet5C2D37C4"
		pub2  = "VpcPublicSubnet2Subnet691E08A3"
		priv1 = "VpcPrivateSubnet1Subnet536B997A"
		priv2 = "VpcPrivateSubnet2Subnet3788AAA1"
	)
	// paths are the numbers of the paths to cols, or "row>col".
	paths := func(rep Report, cols ...string) string {
		var ns []string
		for i, c := range rep.Checks {
			if slices.Contains(cols, c.Col) || slices.Contains(cols, c.Row+">"+c.Col) {
				ns = append(ns, strconv.Itoa(i+1))
			}
		}
		return strings.Join(ns, " ")
	}
	egress := []string{"ecr.api", "ecr.dkr", "s3", "logs", inet}
	// Through the NAT instance: all but S3, which has its gateway endpoint.
	const natInst = "VpcPublicSubnet1NatInstance57B636B8"
	natEgress := []string{"ecr.api", "ecr.dkr", "logs", svc + ">" + inet}
	for _, tc := range []struct {
		dir string
		// marks: "<layer> <subnet or element>" -> the paths it stops (or
		// lets through), by destination or "source>destination".
		marks map[string][]string
		// broken: gateways drawn as broken.
		broken []string
	}{
		{dir: "nat"},
		{dir: "endpoints"},
		{dir: "nacl-ok"},
		{dir: "no-egress", marks: map[string][]string{"route " + priv1: egress, "route " + priv2: egress}},
		{dir: "network-only-no-egress", marks: map[string][]string{"route " + priv1: egress, "route " + priv2: egress}},
		{dir: "igw-detached", marks: map[string][]string{"route " + pub1: {alb, "ecr.api", "ecr.dkr", "logs", inet}, "route " + pub2: {alb}}, broken: []string{"VpcIGWD7BA715C"}},
		{dir: "alb-private", marks: map[string][]string{"route " + priv1: {alb}, "route " + priv2: {alb}}},
		{dir: "sg-missing-alb", marks: map[string][]string{"sg " + svc: {alb + ">" + svc}}},
		{dir: "sg-open-world", marks: map[string][]string{"sg " + svc: {inet + ">" + svc}}},
		{dir: "nacl-deny-first", marks: map[string][]string{"nacl " + priv1: {alb + ">" + svc}, "nacl " + priv2: {alb + ">" + svc}}},
		{dir: "nacl-no-ephemeral", marks: map[string][]string{"nacl " + priv1: egress, "nacl " + priv2: egress}},
		{dir: "endpoints-no-s3", marks: map[string][]string{"route " + priv1: {"s3"}, "route " + priv2: {"s3"}}},
		{dir: "nat-instance"},
		{dir: "nat-instance-eni"},
		{dir: "nat-instance-src-dest-check", marks: map[string][]string{"nat " + natInst: natEgress}, broken: []string{natInst}},
		{dir: "nat-instance-no-public-ip", marks: map[string][]string{"nat " + natInst: natEgress}, broken: []string{natInst}},
		{dir: "nat-instance-sg-one-subnet", marks: map[string][]string{"sg " + natInst: natEgress}},
		{dir: "nat-instance-open-world", marks: map[string][]string{"sg " + natInst: {inet + ">" + natInst}, "route " + pub1: {inet + ">" + natInst}}},
		{dir: "nat-instance-private-subnet", marks: map[string][]string{"route " + priv1: natEgress}},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			p := draw(t, filepath.Join("testdata", tc.dir))
			got := map[string]string{}
			var broken []string
			p.root.walk(func(n node, _ []node) {
				if l := n.attr("data-mark"); l != "" {
					at := n.attr("data-subnet") + n.attr("data-element")
					got[l+" "+at] = n.attr("data-paths")
					if !strings.HasPrefix(n.content(), "✘ ") || n.attr("fill") != badInk {
						t.Errorf("mark %s %s is %q in %s, want ✘ in %s", l, at, n.content(), n.attr("fill"), badInk)
					}
				}
				if b := n.attr("data-broken"); b != "" {
					broken = append(broken, n.attr("data-element"))
				}
			})
			want := map[string]string{}
			for k, cols := range tc.marks {
				want[k] = paths(p.rep, cols...)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("marks %v, want %v", got, want)
			}
			if fmt.Sprint(broken) != fmt.Sprint(tc.broken) {
				t.Errorf("gateways drawn broken: %v, want %v", broken, tc.broken)
			}
		})
	}
}

// bbox is where a text's glyphs are, by the layout's own measure.
type bbox struct{ x0, y0, x1, y1 float64 }

func (a bbox) overlaps(b bbox) bool {
	return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1
}

func textBox(n node) bbox {
	size := n.num("font-size")
	x, y := n.num("x"), n.num("y")
	w := float64(utf8.RuneCountInString(n.Text)) * size * advance
	x1 := x + w
	for _, c := range n.Nodes {
		if c.attr("x") != "" {
			x1 = c.num("x")
		}
		x1 += float64(utf8.RuneCountInString(c.content())) * size * advance
	}
	w = x1 - x
	switch n.attr("text-anchor") {
	case "middle":
		x -= w / 2
	case "end":
		x -= w
	}
	return bbox{x, y - 0.8*size, x + w, y + 0.2*size}
}

// TestSVGLayout checks, in every picture, what a reader would trip over:
// texts that overlap, run out of their box or off the picture, and arrows
// that cross a text not their own.
func TestSVGLayout(t *testing.T) {
	for _, dir := range assemblies(t) {
		t.Run(dir, func(t *testing.T) {
			p := draw(t, dir)
			width, height := p.root.num("width"), p.root.num("height")
			type placed struct {
				s     string
				b     bbox
				arrow string // the data-path of the arrow it belongs to
			}
			var texts []placed
			var segs [][2][2]float64
			var segArrow []string
			p.root.walk(func(n node, up []node) {
				arrow, box := "", node{}
				for _, a := range up {
					if a.attr("data-path") != "" {
						arrow = a.attr("data-path")
					}
					if a.attr("data-element") != "" {
						box = a
					}
				}
				switch n.XMLName.Local {
				case "text":
					b := textBox(n)
					texts = append(texts, placed{n.content(), b, arrow})
					if b.x0 < 0 || b.x1 > width || b.y0 < 0 || b.y1 > height {
						t.Errorf("text %q (%v) runs off the %vx%v picture", n.content(), b, width, height)
					}
					// A text in a box stays inside the box.
					if box.XMLName.Local != "" {
						var r node
						for _, c := range box.Nodes {
							if c.XMLName.Local == "rect" {
								r = c
								break
							}
						}
						rb := bbox{r.num("x"), r.num("y"), r.num("x") + r.num("width"), r.num("y") + r.num("height")}
						if b.x0 < rb.x0 || b.x1 > rb.x1 || b.y0 < rb.y0 || b.y1 > rb.y1 {
							t.Errorf("text %q (%v) runs out of its box %s (%v)", n.content(), b, box.attr("data-element"), rb)
						}
					}
				case "path":
					if arrow == "" {
						return
					}
					var pts [][2]float64
					for _, f := range strings.Fields(strings.NewReplacer("M", " ", "L", " ").Replace(n.attr("d"))) {
						x, y, _ := strings.Cut(f, ",")
						fx, _ := strconv.ParseFloat(x, 64)
						fy, _ := strconv.ParseFloat(y, 64)
						pts = append(pts, [2]float64{fx, fy})
					}
					for i := 0; i+1 < len(pts); i++ {
						segs = append(segs, [2][2]float64{pts[i], pts[i+1]})
						segArrow = append(segArrow, arrow)
					}
				}
			})
			for i, a := range texts {
				for _, b := range texts[i+1:] {
					if a.b.overlaps(b.b) {
						t.Errorf("texts overlap: %q (%v) and %q (%v)", a.s, a.b, b.s, b.b)
					}
				}
				for k, s := range segs {
					if segArrow[k] == a.arrow && strings.Trim(a.s, "0123456789") == "" {
						continue // the arrow's number, on it
					}
					// Arrows run straight: a segment is a thin box.
					sb := bbox{min(s[0][0], s[1][0]) - 1, min(s[0][1], s[1][1]) - 1, max(s[0][0], s[1][0]) + 1, max(s[0][1], s[1][1]) + 1}
					if sb.overlaps(a.b) {
						t.Errorf("arrow %s crosses text %q (%v)", segArrow[k], a.s, a.b)
					}
				}
			}
		})
	}
}

// goldenPictures are the pictures kept under testdata/svg: one per egress
// mode and a broken network, with what makes each what its name says.
var goldenPictures = []struct {
	name, dir string
	nats      int  // NAT gateways
	ifaces    bool // interface endpoints
	ok        bool // every required path holds
}{
	{"nat", "testdata/nat", 1, false, true},
	{"nat-per-az", "../testdata/golden/prod", 2, false, true},
	{"endpoints", "../testdata/golden/dev-endpoints", 0, true, true},
	{"no-egress", "testdata/no-egress", 0, false, false},
	{"nat-instance", "../testdata/golden/dev", 0, false, true},
	{"nat-instance-broken", "testdata/nat-instance-src-dest-check", 0, false, false},
}

// TestSVGGolden compares each picture with its golden file; -update
// rewrites them, to be looked at (in a browser) before they are committed.
func TestSVGGolden(t *testing.T) {
	for _, g := range goldenPictures {
		t.Run(g.name, func(t *testing.T) {
			p := draw(t, filepath.FromSlash(g.dir))
			ifaces := slices.ContainsFunc(p.m.Endpoints, func(ep *Endpoint) bool { return ep.Interface })
			if len(p.m.NATs) != g.nats || ifaces != g.ifaces || p.rep.OK != g.ok {
				t.Fatalf("%s has %d NAT gateways, interface endpoints %v, ok %v; the %s picture wants %d, %v, %v", g.dir, len(p.m.NATs), ifaces, p.rep.OK, g.name, g.nats, g.ifaces, g.ok)
			}
			golden(t, filepath.Join("testdata", "svg", g.name+".svg"), p.svg, "go test ./netcheck -run TestSVG -update")
		})
	}
}

// TestSVGDocs keeps docs/network-dev.svg, the picture the README shows,
// drawn from the dev golden templates: when they change, the picture must
// be drawn again.
func TestSVGDocs(t *testing.T) {
	p := draw(t, filepath.Join("..", "testdata", "golden", "dev"))
	if !p.rep.OK {
		t.Fatalf("the dev templates break required paths: %v", p.rep.Broken())
	}
	golden(t, filepath.Join("..", "docs", "network-dev.svg"), p.svg, "go test ./netcheck -run TestSVG -update (after go test . -update rewrote testdata/golden)")
}

func golden(t *testing.T, path string, got []byte, how string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: write it with %s", err, how)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		i := 0
		for i < len(gl) && i < len(wl) && gl[i] == wl[i] {
			i++
		}
		g, w := "", ""
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		t.Errorf("%s is not the picture the templates give now (first difference at line %d):\n got: %s\nwant: %s\nrun %s and look at the picture before committing it", path, i+1, g, w, how)
	}
}

// TestSVGOddShapes draws networks unlike the app's: no VPC at all, a VPC
// with one subnet, three AZs with a load balancer in one, a service whose
// subnets are unknown. Each gives a well-formed picture that names what
// there is and one arrow per required path, and no text off the picture.
func TestSVGOddShapes(t *testing.T) {
	subnet := func(id, cidr string, az int, public bool) string {
		return fmt.Sprintf(`"%s": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "%s", "MapPublicIpOnLaunch": %t,
			"AvailabilityZone": {"Fn::Select": [%d, {"Fn::GetAZs": ""}]}}}`, id, cidr, public, az)
	}
	vpc := `"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.1.0.0/16"}}`
	for _, tc := range []struct{ name, resources string }{
		{"no VPC", `"Bucket": {"Type": "AWS::S3::Bucket"}`},
		{"one subnet", vpc + "," + subnet("Only", "10.1.0.0/24", 0, false)},
		{"three AZs", vpc + "," + subnet("A", "10.1.0.0/24", 0, true) + "," + subnet("B", "10.1.1.0/24", 1, true) + "," + subnet("C", "10.1.2.0/24", 2, true) + "," +
			subnet("PA", "10.1.10.0/24", 0, false) + "," + subnet("PB", "10.1.11.0/24", 1, false) + "," + subnet("PC", "10.1.12.0/24", 2, false) + `,
			"Lb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Type": "application", "Scheme": "internet-facing", "Subnets": [{"Ref": "A"}]}},
			"Svc": {"Type": "AWS::ECS::Service", "Properties": {"NetworkConfiguration": {"AwsvpcConfiguration": {"Subnets": [{"Ref": "PA"}, {"Ref": "PB"}, {"Ref": "PC"}]}}}}`},
		{"unknown placement", vpc + "," + subnet("A", "10.1.0.0/24", 0, false) + `,
			"Svc": {"Type": "AWS::ECS::Service", "Properties": {"NetworkConfiguration": {"AwsvpcConfiguration": {"Subnets": [{"Fn::ImportValue": "elsewhere"}]}}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tpl := `{"Resources": {` + tc.resources + `}}`
			if err := os.WriteFile(filepath.Join(dir, "Odd.template.json"), []byte(tpl), 0o644); err != nil {
				t.Fatal(err)
			}
			p := draw(t, dir)
			var texts []string
			p.root.walk(func(n node, _ []node) {
				if n.XMLName.Local == "text" {
					texts = append(texts, n.content())
					if b := textBox(n); b.x0 < 0 || b.x1 > p.root.num("width") {
						t.Errorf("text %q runs off the picture (%v)", n.content(), b)
					}
				}
			})
			all := strings.Join(texts, "\n")
			for _, sn := range p.m.Subnets {
				if !strings.Contains(all, sn.Name()) {
					t.Errorf("subnet %s not named", sn.Name())
				}
			}
			checkArrows(t, p)
		})
	}
}
