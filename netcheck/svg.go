package netcheck

// The picture of the network: WriteSVG draws the model netcheck built from
// the templates (the VPC, one column per availability zone, the public and
// private subnets with their route tables, the gateways and endpoints, the
// load balancer across its subnets, the tasks across theirs) and the
// required paths of a Report as arrows: green and solid when netcheck
// proves them, red and dashed with a ✘ where it does not, numbered into the
// list below the picture that gives the reasons. Where a path breaks, the
// route table, NACL or security group that stops it says so.
//
// The layout is computed here, with no Graphviz or other program: text is
// monospace, so its width is known, and every label is wrapped to the box
// it sits in.

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

const (
	svgWidth = 800.0
	// small is the smallest text, readable at README width.
	small  = 11.0
	normal = 12.0
	// advance is the width of a monospace glyph in em: a hair over the 0.6
	// of Menlo, Consolas, DejaVu Sans Mono and Liberation Mono.
	advance = 0.61
	fonts   = `ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', 'Liberation Mono', monospace`

	// okInk and badInk are Okabe and Ito's bluish green and vermillion,
	// darkened for text contrast (about 5:1 on white); the picture never
	// tells them apart by colour alone: broken arrows are dashed and
	// marked ✘, proven ones solid and marked ✓.
	okInk    = "#00785a"
	badInk   = "#c03c00"
	ink      = "#1f2933"
	mutedInk = "#52606d"

	laneLeft  = 14.0 // x of the left margin lane: the internet to the tasks
	laneRight = 786.0
	vpcLeft   = 32.0
	vpcRight  = 768.0
	vpcPad    = 12.0
	azGap     = 44.0 // between AZ columns: the lane of the arrows through the middle
	rowGap    = 40.0
	cellPad   = 8.0
	laneStep  = 10.0 // between parallel arrows
	listGap   = 3.0  // between the entries of the list of paths
)

// WriteSVG draws the network of m with the verdicts of rep, the report
// m.Required returned.
func (m *Model) WriteSVG(w io.Writer, rep Report) error {
	d := newDiagram(m, rep)
	d.layout()
	_, err := io.WriteString(w, d.draw())
	return err
}

// device is a gateway or endpoint the picture draws and names on the
// paths through it. A new kind of egress device (a NAT instance, say)
// needs one entry in devices, the label of its kind and the subnets it
// sits in, and a label in routeTarget for the routes to it.
type device struct {
	kind    string // "NAT gateway", "interface endpoint", ...
	name    string
	service string    // an endpoint's AWS service
	subnets []*Subnet // drawn in these subnets; none: on the VPC's edge
	top     bool      // on the VPC's top edge (an internet gateway), else its bottom edge
	broken  string    // why it carries nothing, e.g. "not attached to the VPC"
	b       box
	port    float64 // x where the arrows through it pass
	textX   float64
}

// devices are the gateways and endpoints of the drawn VPC.
func (d *diagram) devices() []*device {
	var out []*device
	inVPC := func(sn *Subnet) bool { return sn != nil && sn.VPC == d.vpc }
	for _, igw := range d.m.IGWs {
		_, attached := d.vpc.Attachments[igw]
		elsewhere := false
		for _, v := range d.m.VPCs {
			_, ok := v.Attachments[igw]
			elsewhere = elsewhere || v != d.vpc && ok
		}
		if elsewhere {
			continue
		}
		dv := &device{kind: "internet gateway", name: igw.Name(), top: true}
		if !attached {
			dv.broken = "not attached to the VPC"
		}
		out = append(out, dv)
	}
	for _, n := range d.m.NATs {
		if !inVPC(n.Subnet) {
			continue
		}
		kind := "NAT gateway"
		if n.Private {
			kind = "private NAT gateway"
		}
		out = append(out, &device{kind: kind, name: n.Name(), subnets: []*Subnet{n.Subnet}})
	}
	// A NAT instance: an instance that a route hands traffic to, drawn in
	// its subnet, broken when it cannot forward.
	for _, in := range d.m.natInstances() {
		if !inVPC(in.Subnet) {
			continue
		}
		dv := &device{kind: "NAT instance", name: in.Name(), subnets: []*Subnet{in.Subnet}}
		switch {
		case in.SourceDestCheck:
			dv.broken = "source/destination check on"
		case !in.PublicIP:
			dv.broken = "no public IP"
		}
		out = append(out, dv)
	}
	for _, ep := range d.m.Endpoints {
		if ep.VPC != d.vpc {
			continue
		}
		if ep.Interface {
			out = append(out, &device{kind: "interface endpoint", name: ep.Name(), service: ep.Service, subnets: ep.Subnets})
		} else {
			out = append(out, &device{kind: "gateway endpoint", name: ep.Name(), service: ep.Service})
		}
	}
	return out
}

// routeTarget labels where a route of from's table sends traffic, and
// whether that target carries nothing.
func (d *diagram) routeTarget(r *Route, from *Subnet) (string, bool) {
	switch r.Target {
	case TargetLocal:
		return "local", false
	case TargetIGW:
		if _, ok := d.vpc.Attachments[r.IGW]; !ok {
			return "internet gateway, not attached", true
		}
		return "internet gateway", false
	case TargetNAT:
		t := "NAT gateway"
		if r.NAT.Private {
			t = "private NAT gateway"
		}
		if r.NAT.Subnet != nil && r.NAT.Subnet.AZ != from.AZ {
			t += " in " + d.azShort(r.NAT.Subnet.AZ)
		}
		return t, false
	case TargetEndpoint:
		return "gateway endpoint", false
	case TargetInstance:
		dv := deviceOf(r)
		t := "NAT instance"
		if r.ENI != nil {
			t = "NAT instance's network interface"
		}
		if dv.subnet != nil && dv.subnet.AZ != from.AZ {
			t += " in " + d.azShort(dv.subnet.AZ)
		}
		return t, dv.detached || dv.srcDestCheck || !dv.publicIP
	}
	return r.TargetText, r.Target == TargetUnknown
}

type cell struct {
	sn    *Subnet
	lines []line
	chips []*chip
	b     box
}

type chip struct {
	lines []line
	b     box
}

// bar is an end of the required paths that spans subnets: a load
// balancer, an ECS service's tasks, or the private subnets themselves.
type bar struct {
	name  string // as the report's checks name it
	role  string // how captions call it: "the load balancer", "the tasks"
	kind  string // "lb" or "tasks"
	sgs   []*SecurityGroup
	sns   []*Subnet
	lines []line
	row   int
	c0    int // first and last column
	c1    int
	b     box
}

type row struct {
	tier  string
	cells []*cell // by column; nil where the AZ has no such subnet
	bars  []*bar
	b     box
}

// dest is an AWS service the tasks must reach, drawn below the VPC.
type dest struct {
	service string
	b       box
	lane    float64
	lines   []line
}

type arrow struct {
	n       int // the path's number in the list
	c       Check
	pts     [][2]float64
	head    bool // an arrowhead; else a bar: blocked
	caption []line
	lane    string // which lane it takes: left, down, middle:<source>, right, dest, other
	// badgeX and badgeY place the number on the arrow; zero: before the
	// caption.
	badgeX, badgeY float64
	capX           float64
	capY           float64
	anchor         string
}

type diagram struct {
	m      *Model
	rep    Report
	vpc    *VPC
	azs    []string
	cols   []box // x and width of each AZ column
	rows   []*row
	bars   []*bar
	devs   []*device
	dsts   []*dest
	inet   box
	vpcBox box
	azY    float64 // top of the AZ columns' titles
	arws   []*arrow
	// marks: what stops (or lets through) the broken paths, by element
	// ("subnet:<name>", "bar:<name>") and layer, with path numbers.
	marks map[string]map[string][]int
	// devChips are the chips of the NAT instances, by name: a path may
	// end at one.
	devChips map[string]*chip
	notes    []string
	height   float64
	titleLs  []line
	listY    float64
	list     []line
	listN    []int // the path number of each list line that starts an entry, else 0
	listOK   []bool
}

func newDiagram(m *Model, rep Report) *diagram {
	d := &diagram{m: m, rep: rep, marks: map[string]map[string][]int{}, devChips: map[string]*chip{}}
	d.vpc = d.pickVPC()
	return d
}

// pickVPC is the VPC the tasks sit in, else the one with most subnets.
func (d *diagram) pickVPC() *VPC {
	for _, s := range d.m.Services {
		for _, sn := range s.Subnets {
			if sn.VPC != nil {
				return sn.VPC
			}
		}
	}
	var best *VPC
	most := -1
	for _, v := range d.m.VPCs {
		n := 0
		for _, sn := range d.m.Subnets {
			if sn.VPC == v {
				n++
			}
		}
		if n > most {
			best, most = v, n
		}
	}
	return best
}

// public: a subnet whose route to the internet goes to an internet
// gateway, or that maps public IPs.
func (d *diagram) public(sn *Subnet) bool {
	if sn.MapPublicIP {
		return true
	}
	r, _ := sn.RouteTable.lookupRoute(d.m.internet(), "")
	return r != nil && r.Target == TargetIGW
}

func (d *diagram) azIndex(az string) int { return slices.Index(d.azs, az) }

// azShort is how route lines name an AZ: "AZ 1".
func (d *diagram) azShort(az string) string {
	if i := d.azIndex(az); i >= 0 && strings.HasPrefix(az, "az[") {
		return fmt.Sprintf("AZ %d", i+1)
	}
	return az
}

func (d *diagram) azTitle(i int) string {
	az := d.azs[i]
	if strings.HasPrefix(az, "az[") {
		return fmt.Sprintf("availability zone %d (%s)", i+1, az)
	}
	return "availability zone " + az
}

func (d *diagram) layout() {
	inner := svgWidth - 24
	d.titleLs = heading("The network in the templates, and the paths the app needs", "", 13, inner, ink)
	var stacks []string
	for _, st := range d.m.Stacks {
		stacks = append(stacks, st.ID)
	}
	d.titleLs = append(d.titleLs, para(fmt.Sprintf("drawn by netcheck from stacks %s · egress mode %s (%s)", strings.Join(stacks, ", "), d.rep.Egress, d.rep.EgressWhy), small, inner, false, mutedInk, "  ")...)
	y := 12 + linesHeight(d.titleLs) + 10
	if d.vpc == nil {
		d.notes = append(d.notes, "no VPC in the templates: nothing to draw")
		d.layoutList(y)
		return
	}
	for _, v := range d.m.VPCs {
		if v != d.vpc {
			d.notes = append(d.notes, fmt.Sprintf("VPC %s is not drawn: the picture shows one VPC, %s", v.Name(), d.vpc.Name()))
		}
	}
	d.devs = d.devices()
	d.collectMarks()
	d.grid()
	d.makeBars()
	d.makeDests()
	d.plan()
	y = d.layoutTop(y)
	y = d.layoutRows(y)
	y = d.layoutBottom(y)
	d.route()
	d.layoutList(y + 26)
}

// layoutTop places the internet, the captions under it and the internet
// gateway on the VPC's top edge, and returns where the subnets start.
func (d *diagram) layoutTop(y float64) float64 {
	d.inet = box{svgWidth/2 - 80, y, 160, 34}
	y = d.inet.y1() + 4 + max(captionsHeight(d.lane("left")), captionsHeight(d.lane("right"))) + 4 + captionsHeight(d.lane("down")) + 6
	igwH := 0.0
	for _, dv := range d.devs {
		if dv.top {
			n := 2.0
			if dv.broken != "" {
				n = 3
			}
			igwH = max(igwH, n*(small+4)+8)
		}
	}
	vpcTop := y + igwH/2
	cx := d.centerLane()
	x := cx - 16
	for _, dv := range d.devs {
		if !dv.top {
			continue
		}
		w := 32 + max(textWidth(dv.kind, small), textWidth(dv.name, small)) + 12
		if dv.broken != "" {
			w = max(w, 32+textWidth("✘ "+dv.broken, small)+12)
		}
		dv.b = box{x, vpcTop - igwH/2, w, igwH}
		dv.port, dv.textX = x+16, x+34
		x += w + 12
	}
	d.vpcBox.y = vpcTop
	d.azY = vpcTop + max(22, igwH/2+4)
	return d.azY + 22
}

// layoutRows places the rows of subnets, their content and the bars
// across them, and returns the VPC's bottom edge.
func (d *diagram) layoutRows(y float64) float64 {
	for ri, r := range d.rows {
		contentH := 0.0
		for ci, c := range r.cells {
			if c == nil {
				continue
			}
			h := cellPad + linesHeight(c.lines)
			for _, ch := range c.chips {
				ch.b = box{d.cols[ci].x + cellPad, h + 4, d.cols[ci].w - 2*cellPad, linesHeight(ch.lines) + 8}
				h += ch.b.h + 6
			}
			contentH = max(contentH, h)
		}
		r.b.y = y
		for ci, c := range r.cells {
			if c == nil {
				continue
			}
			for _, ch := range c.chips {
				ch.b.y += y
			}
			c.b = box{d.cols[ci].x, y, d.cols[ci].w, 0}
		}
		by := y + contentH + 6
		for bi, b := range r.bars {
			x0, x1 := d.cols[b.c0].x+cellPad, d.cols[b.c1].x1()-cellPad
			b.b = box{x0, by, x1 - x0, linesHeight(b.lines) + 10}
			by += b.b.h + 12
			// Room for the captions of arrows to the next bar of the row.
			if bi+1 < len(r.bars) {
				capH := 0.0
				for _, a := range d.arws {
					if a.lane == "middle:"+b.name && a.c.Col == r.bars[bi+1].name {
						capH += linesHeight(a.caption)
					}
				}
				if capH > 0 {
					by += capH + 8
				}
			}
		}
		r.b.h = by - y - 6
		if len(r.bars) == 0 {
			r.b.h = contentH + 4
		}
		for _, c := range r.cells {
			if c != nil {
				c.b.h = r.b.h
			}
		}
		y += r.b.h
		if ri < len(d.rows)-1 {
			gap := 0.0
			for _, a := range d.arws {
				if src := d.barNamed(a.c.Row); strings.HasPrefix(a.lane, "middle:") && src.row == ri {
					gap += linesHeight(a.caption)
				}
			}
			y += max(rowGap, gap+16)
		}
	}
	vpcBottom := y + 30
	d.vpcBox = box{vpcLeft, d.vpcBox.y, vpcRight - vpcLeft, vpcBottom - d.vpcBox.y}
	return vpcBottom
}

// layoutBottom places the AWS services below the VPC, each with its lane,
// and the gateway endpoints on the VPC's bottom edge, where the lane to
// their service passes; it returns the bottom of the services.
func (d *diagram) layoutBottom(vpcBottom float64) float64 {
	y := vpcBottom + 52
	destH := 0.0
	for _, ds := range d.dsts {
		h := linesHeight(ds.lines) + 10
		for _, a := range d.arws {
			if a.lane == "dest" && a.c.Col == ds.service {
				h += linesHeight(a.caption) + 2
			}
		}
		destH = max(destH, h)
	}
	for _, ds := range d.dsts {
		ds.b.y, ds.b.h = y, destH
	}
	edgeX := vpcRight - 12
	for _, dv := range slices.Backward(d.devs) {
		if dv.top || len(dv.subnets) > 0 {
			continue
		}
		w := 32 + max(textWidth(dv.kind, small), textWidth(dv.name, small)) + 12
		h := 2*(small+4) + 8
		var at *dest
		for _, ds := range d.dsts {
			if ds.service == dv.service {
				at = ds
			}
		}
		if at != nil {
			dv.b = box{at.lane - 16, vpcBottom - h/2, w, h}
			dv.port, dv.textX = at.lane, at.lane+18
			if dv.b.x1() > vpcRight-4 {
				// No room on the right: the port on the chip's right end.
				dv.b.x = at.lane + 16 - w
				dv.textX = dv.b.x + 8
			}
			continue
		}
		edgeX -= w
		dv.b = box{edgeX, vpcBottom - h/2, w, h}
		dv.port, dv.textX = edgeX+16, edgeX+34
		edgeX -= 12
	}
	return y + destH
}

func (d *diagram) centerLane() float64 {
	if len(d.cols) < 2 {
		return d.cols[0].x1() - 20
	}
	best, bestDist := 0.0, math.Inf(1)
	for i := 0; i+1 < len(d.cols); i++ {
		g := (d.cols[i].x1() + d.cols[i+1].x) / 2
		if dist := math.Abs(g - svgWidth/2); dist < bestDist {
			best, bestDist = g, dist
		}
	}
	return best
}

// grid lays the VPC's subnets out: one column per AZ, public rows first.
func (d *diagram) grid() {
	var sns []*Subnet
	for _, sn := range d.m.Subnets {
		if sn.VPC == d.vpc {
			sns = append(sns, sn)
			if !slices.Contains(d.azs, sn.AZ) {
				d.azs = append(d.azs, sn.AZ)
			}
		}
	}
	slices.Sort(d.azs)
	n := max(1, len(d.azs))
	w := (vpcRight - vpcLeft - 2*vpcPad - float64(n-1)*azGap) / float64(n)
	for i := range n {
		d.cols = append(d.cols, box{vpcLeft + vpcPad + float64(i)*(w+azGap), 0, w, 0})
	}
	slices.SortStableFunc(sns, func(a, b *Subnet) int {
		if len(a.addrs) > 0 && len(b.addrs) > 0 && a.addrs[0].lo != b.addrs[0].lo {
			return int(int64(a.addrs[0].lo) - int64(b.addrs[0].lo))
		}
		return strings.Compare(a.Name(), b.Name())
	})
	for _, tier := range []string{"public", "private"} {
		byAZ := make([][]*Subnet, n)
		for _, sn := range sns {
			if d.public(sn) == (tier == "public") {
				i := max(0, d.azIndex(sn.AZ))
				byAZ[i] = append(byAZ[i], sn)
			}
		}
		for k := 0; ; k++ {
			r := &row{tier: tier, cells: make([]*cell, n)}
			any := false
			for i := range n {
				if k < len(byAZ[i]) {
					r.cells[i] = d.cellOf(byAZ[i][k], i)
					any = true
				}
			}
			if !any {
				break
			}
			d.rows = append(d.rows, r)
		}
	}
}

func (d *diagram) cellOf(sn *Subnet, col int) *cell {
	c := &cell{sn: sn}
	w := d.cols[col].w - 2*cellPad
	tier := "private subnet"
	if d.public(sn) {
		tier = "public subnet"
	}
	cidr := sn.CIDR
	if cidr == "" {
		cidr = "CIDR unknown"
	}
	c.lines = append(c.lines, heading(tier, "  "+cidr, normal, w, ink)...)
	c.lines = append(c.lines, para(sn.Name(), small, w, false, ink, "  ")...)
	rt := sn.RouteTable
	if rt == nil {
		c.lines = append(c.lines, para("route table unknown: "+sn.Unknown, small, w, false, badInk, "  ")...)
	} else {
		name := "route table " + rt.Name()
		if rt.Main {
			name = "the VPC's main route table (no association)"
		}
		c.lines = append(c.lines, para(name, small, w, false, mutedInk, "  ")...)
		for _, r := range rt.routes() {
			dest := r.Dest
			if r.service != "" {
				dest = r.service + " prefix list"
			}
			t, bad := d.routeTarget(r, sn)
			fill, mark := ink, ""
			if bad {
				fill, mark = badInk, "✘ "
			}
			c.lines = append(c.lines, para("  "+mark+dest+" → "+t, small, w, false, fill, "      ")...)
		}
	}
	if sn.NACL != nil {
		t := "NACL " + sn.NACL.Name()
		if sn.NACL.Default {
			t = "NACL: the VPC's default, allows all"
		}
		c.lines = append(c.lines, para(t, small, w, false, mutedInk, "  ")...)
	}
	for _, layer := range []string{"route", "nacl"} {
		ns := d.marks["subnet:"+sn.Name()][layer]
		if len(ns) == 0 {
			continue
		}
		t := fmt.Sprintf("✘ %s this %s", pathsStop(ns, d.rep.Checks), layerNames[layer])
		if layer == "route" && rt != nil && onlyLocal(rt) {
			t += ": it has only the local route"
		}
		ls := para(t, small, w, true, badInk, "  ")
		ls[0].attrs = fmt.Sprintf(` data-mark="%s" data-subnet="%s" data-paths="%s"`, layer, esc(sn.Name()), numList(ns, " "))
		c.lines = append(c.lines, ls...)
	}
	// Egress devices in this subnet, one chip per kind.
	var kinds []string
	for _, dv := range d.devs {
		if slices.Contains(dv.subnets, sn) && !slices.Contains(kinds, dv.kind) {
			kinds = append(kinds, dv.kind)
		}
	}
	for _, k := range kinds {
		var ds []*device
		for _, dv := range d.devs {
			if dv.kind == k && slices.Contains(dv.subnets, sn) {
				ds = append(ds, dv)
			}
		}
		head := k
		if len(ds) > 1 {
			head += "s"
		}
		if k == "interface endpoint" {
			head += " (an ENI here)"
			if len(ds) > 1 {
				head = "interface endpoints (ENIs here)"
			}
		}
		ch := &chip{lines: para(head, small, w-16, true, ink, "  ")}
		// Endpoints in two columns, service and name, when they fit.
		col := 0
		for _, dv := range ds {
			if n := utf8.RuneCountInString(dv.service) + 1; n <= 12 {
				col = max(col, n)
			}
		}
		for _, dv := range ds {
			switch {
			case dv.service == "":
				ch.lines = append(ch.lines, para(dv.name, small, w-16, false, ink, "  ")...)
			case utf8.RuneCountInString(dv.service) < col && textWidth(strings.Repeat(" ", col)+dv.name, small) <= w-16:
				ch.lines = append(ch.lines, line{segs: []seg{{s: dv.service, fill: ink}, {s: dv.name, fill: ink, col: float64(col) * small * advance}}, size: small})
			default:
				ch.lines = append(ch.lines, para(dv.service, small, w-16, false, ink, "  ")...)
				ch.lines = append(ch.lines, para("  "+dv.name, small, w-16, false, ink, "  ")...)
			}
			if dv.kind != "NAT instance" {
				continue
			}
			d.devChips[dv.name] = ch
			if dv.broken != "" {
				ls := para("✘ "+dv.broken, small, w-16, true, badInk, "  ")
				ls[0].attrs = fmt.Sprintf(` data-broken="%s" data-element="%s"`, esc(dv.broken), esc(dv.name))
				ch.lines = append(ch.lines, ls...)
			}
			// What stops a path at the NAT instance: its security group,
			// or that it cannot forward.
			for _, layer := range []string{"nat", "sg"} {
				ns := d.marks["bar:"+dv.name][layer]
				if len(ns) == 0 {
					continue
				}
				what := map[string]string{"nat": "it", "sg": "its security group"}[layer]
				ls := para(fmt.Sprintf("✘ %s %s", pathsStop(ns, d.rep.Checks), what), small, w-16, true, badInk, "  ")
				ls[0].attrs = fmt.Sprintf(` data-mark="%s" data-element="%s" data-paths="%s"`, layer, esc(dv.name), numList(ns, " "))
				ch.lines = append(ch.lines, ls...)
			}
		}
		c.chips = append(c.chips, ch)
	}
	return c
}

func onlyLocal(rt *RouteTable) bool {
	for _, r := range rt.routes() {
		if r.Target != TargetLocal {
			return false
		}
	}
	return true
}

// pathsStop is "path 3 stops at" or "paths 4, 5 stop at", or "... get
// through" when the paths must be blocked.
func pathsStop(ns []int, checks []Check) string {
	verb := "stop at"
	if checks[ns[0]-1].Want == Denied {
		verb = "get through"
	}
	if len(ns) == 1 {
		verb = strings.Replace(verb, "stop", "stops", 1)
		verb = strings.Replace(verb, "get ", "gets ", 1)
		return fmt.Sprintf("path %d %s", ns[0], verb)
	}
	return fmt.Sprintf("paths %s %s", numList(ns, ", "), verb)
}

func numList(ns []int, sep string) string {
	var ss []string
	for _, n := range ns {
		ss = append(ss, strconv.Itoa(n))
	}
	return strings.Join(ss, sep)
}

// makeBars places the load balancers and the tasks across their subnets.
func (d *diagram) makeBars() {
	rowOf := func(sn *Subnet) (int, int) {
		for ri, r := range d.rows {
			for ci, c := range r.cells {
				if c != nil && c.sn == sn {
					return ri, ci
				}
			}
		}
		return -1, -1
	}
	place := func(b *bar) {
		b.row, b.c0, b.c1 = -1, len(d.cols), -1
		for _, sn := range b.sns {
			ri, ci := rowOf(sn)
			if ri < 0 {
				continue
			}
			if b.row < 0 {
				b.row = ri
			}
			if ri == b.row {
				b.c0, b.c1 = min(b.c0, ci), max(b.c1, ci)
			}
		}
		if b.row < 0 {
			// Where it sits is unknown: across the last row, said so.
			b.row, b.c0, b.c1 = len(d.rows)-1, 0, len(d.cols)-1
			b.lines = append(b.lines, para("where it sits is unknown", small, 600, true, badInk, "  ")...)
		}
		if b.row < 0 {
			return
		}
		w := d.cols[b.c1].x1() - d.cols[b.c0].x - 2*cellPad - 16
		var ls []line
		for _, l := range b.lines {
			if textWidth(l.text(), l.size) > w {
				ls = append(ls, para(l.text(), l.size, w, l.segs[0].bold, l.segs[0].fill, "  ")...)
			} else {
				ls = append(ls, l)
			}
		}
		b.lines = ls
		for _, layer := range []string{"sg", "placement", "listener", "other"} {
			ns := d.marks["bar:"+b.name][layer]
			if len(ns) == 0 {
				continue
			}
			what := map[string]string{"sg": "its security group " + sgNames(b.sgs), "placement": "its placement", "listener": "its listeners", "other": "it"}[layer]
			t := fmt.Sprintf("✘ %s %s", pathsStop(ns, d.rep.Checks), what)
			ls := para(t, small, w, true, badInk, "  ")
			ls[0].attrs = fmt.Sprintf(` data-mark="%s" data-element="%s" data-paths="%s"`, layer, esc(b.name), numList(ns, " "))
			b.lines = append(b.lines, ls...)
		}
		d.bars = append(d.bars, b)
		d.rows[b.row].bars = append(d.rows[b.row].bars, b)
	}
	if len(d.rows) == 0 {
		return
	}
	lbs := 0
	for _, lb := range d.m.LoadBalancers {
		if d.inVPC(lb.Subnets) {
			lbs++
		}
	}
	for _, lb := range d.m.LoadBalancers {
		if !d.inVPC(lb.Subnets) {
			continue
		}
		kind := lb.LBType + " load balancer"
		var ls []string
		for _, l := range lb.Listeners {
			ls = append(ls, fmt.Sprintf("%s %d", l.Protocol, l.Port))
		}
		role := map[string]string{"application": "the ALB", "network": "the NLB"}[lb.LBType]
		if role == "" {
			role = "the load balancer"
		}
		if lbs > 1 {
			role = lb.Name()
		}
		b := &bar{name: lb.Name(), role: role, kind: "lb", sgs: lb.SGs, sns: lb.Subnets}
		b.lines = heading(kind+" "+lb.Name(), fmt.Sprintf(" · %s · listeners %s", lb.Scheme, orNone(ls)), normal, 1000, ink)
		place(b)
	}
	svcs := 0
	for _, c := range d.rep.Checks {
		if c.Col == "ecr.api" {
			svcs++
		}
	}
	for _, s := range d.m.Services {
		if !slices.ContainsFunc(d.rep.Checks, func(c Check) bool { return c.Row == s.Name() }) {
			continue
		}
		var ports []string
		for _, t := range s.Targets {
			ports = append(ports, strconv.Itoa(t.ContainerPort))
		}
		if len(ports) == 0 {
			for _, p := range s.Ports {
				ports = append(ports, strconv.Itoa(p))
			}
		}
		pub := "no public IP"
		if s.PublicIP {
			pub = "public IP"
		}
		role := "the tasks"
		if svcs > 1 {
			role = "the tasks of " + s.Name()
		}
		b := &bar{name: s.Name(), role: role, kind: "tasks", sgs: s.SGs, sns: s.Subnets}
		b.lines = heading("tasks of ECS service "+s.Name(), fmt.Sprintf(" · %s · port %s", pub, orNone(ports)), normal, 1000, ink)
		place(b)
	}
	// Before there is an ECS service, the checks start from the private
	// subnets.
	for _, c := range d.rep.Checks {
		if c.Row == "internet" || d.barNamed(c.Row) != nil || c.Row == "" {
			continue
		}
		b := &bar{name: c.Row, role: c.Row, kind: "tasks"}
		for _, r := range d.rows {
			for _, cl := range r.cells {
				if cl != nil && r.tier == "private" {
					b.sns = append(b.sns, cl.sn)
				}
			}
		}
		b.lines = heading(c.Row, " · no ECS service in the templates: the paths of tasks are checked from these subnets", normal, 1000, ink)
		place(b)
	}
}

func (d *diagram) inVPC(sns []*Subnet) bool {
	if len(sns) == 0 {
		return true // unknown placement: drawn, and said so
	}
	return slices.ContainsFunc(sns, func(sn *Subnet) bool { return sn.VPC == d.vpc })
}

func (d *diagram) barNamed(name string) *bar {
	for _, b := range d.bars {
		if b.name == name {
			return b
		}
	}
	return nil
}

// serviceTitles are the AWS services' names for people.
var serviceTitles = map[string]string{"ecr.api": "ECR API", "ecr.dkr": "ECR registry", "s3": "S3", "logs": "CloudWatch Logs", "secretsmanager": "Secrets Manager", "ssm": "Systems Manager", "dynamodb": "DynamoDB", "sts": "STS"}

// makeDests lines up the AWS services the tasks must reach below the VPC.
func (d *diagram) makeDests() {
	var names []string
	for _, c := range d.rep.Checks {
		if c.Col != "internet" && d.barNamed(c.Col) == nil && d.barNamed(c.Row) != nil && !slices.Contains(names, c.Col) {
			names = append(names, c.Col)
		}
	}
	if len(names) == 0 {
		return
	}
	x0 := d.cols[0].x
	span := d.cols[len(d.cols)-1].x1() - x0
	gap := 16.0
	w := (span - gap*float64(len(names)-1)) / float64(len(names))
	for i, s := range names {
		ds := &dest{service: s, b: box{x: x0 + float64(i)*(w+gap), w: w}}
		ds.lane = ds.b.mx()
		title := serviceTitles[s]
		if title == "" {
			title = s
		}
		ds.lines = para(title, normal, w-20, true, ink, "  ")
		if title != s {
			ds.lines = append(ds.lines, para(s, small, w-20, false, mutedInk, "  ")...)
		}
		d.dsts = append(d.dsts, ds)
	}
}
