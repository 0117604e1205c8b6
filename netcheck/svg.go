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

// seg is a run of text of one style; a line is one or more of them.
type seg struct {
	s    string
	bold bool
	fill string
	col  float64 // starts at this x from the line's start; 0: right after the one before
}

type line struct {
	segs  []seg
	size  float64
	lead  float64 // extra space above, e.g. for a badge
	attrs string  // extra attributes of the <text>, such as data-mark
}

func (l line) text() string {
	var b strings.Builder
	for _, s := range l.segs {
		b.WriteString(s.s)
	}
	return b.String()
}

func (l line) height() float64 { return l.size + 4 + l.lead }

func textWidth(s string, size float64) float64 {
	return float64(utf8.RuneCountInString(s)) * size * advance
}

func linesHeight(ls []line) float64 {
	h := 0.0
	for _, l := range ls {
		h += l.height()
	}
	return h
}

// wrap cuts s into lines that fit width, at spaces where it can, inside a
// word only when the word alone is too long; continuation lines are
// indented.
func wrap(s string, size, width float64, indent string) []string {
	limit := max(8, int(width/(size*advance)))
	lead := s[:len(s)-len(strings.TrimLeft(s, " "))]
	var out []string
	cur, fresh := lead, true
	for _, word := range strings.Fields(s) {
		for {
			room := limit - utf8.RuneCountInString(cur)
			if !fresh {
				room-- // the space
			}
			if utf8.RuneCountInString(word) <= room {
				if !fresh {
					cur += " "
				}
				cur, fresh = cur+word, false
				break
			}
			if !fresh {
				out = append(out, cur)
				cur, fresh = indent, true
				continue
			}
			// The word alone does not fit a line: cut it.
			r := []rune(word)
			n := max(1, limit-utf8.RuneCountInString(cur))
			out = append(out, cur+string(r[:n]))
			word, cur = string(r[n:]), indent
		}
	}
	if !fresh || len(out) == 0 {
		out = append(out, cur)
	}
	return out
}

// para is s wrapped to width, one line per piece, all in one style.
func para(s string, size, width float64, bold bool, fill, indent string) []line {
	if textWidth(s, size) <= width {
		return []line{{segs: []seg{{s: s, bold: bold, fill: fill}}, size: size}}
	}
	var out []line
	for _, t := range wrap(s, size, width, indent) {
		out = append(out, line{segs: []seg{{s: t, bold: bold, fill: fill}}, size: size})
	}
	return out
}

// heading is a bold head and a plain rest on one line when they fit,
// else on two.
func heading(head, rest string, size, width float64, fill string) []line {
	if textWidth(head+rest, size) <= width {
		return []line{{segs: []seg{{s: head, bold: true, fill: fill}, {s: rest, bold: false, fill: fill}}, size: size}}
	}
	out := para(head, size, width, true, fill, "  ")
	return append(out, para(strings.TrimSpace(strings.TrimPrefix(rest, " ·")), size, width, false, fill, "  ")...)
}

type box struct{ x, y, w, h float64 }

func (b box) x1() float64 { return b.x + b.w }
func (b box) y1() float64 { return b.y + b.h }
func (b box) mx() float64 { return b.x + b.w/2 }
func (b box) my() float64 { return b.y + b.h/2 }

// device is a gateway or endpoint the picture draws and names on the
// paths through it. A new kind of egress device (a NAT instance, say)
// needs one entry in devices: the label of its kind and where it sits.
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
	bad   bool
	attrs string
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
	marks   map[string]map[string][]int
	notes   []string
	height  float64
	titleLs []line
	listY   float64
	list    []line
	listN   []int // the path number of each list line that starts an entry, else 0
	listOK  []bool
}

func newDiagram(m *Model, rep Report) *diagram {
	d := &diagram{m: m, rep: rep, marks: map[string]map[string][]int{}}
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

	// The internet, the captions under it, the internet gateway on the
	// VPC's edge.
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
	d.azY = vpcTop + max(22, igwH/2+4)
	y = d.azY + 22

	// Rows of subnets, their content and the bars across them.
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
	d.vpcBox = box{vpcLeft, vpcTop, vpcRight - vpcLeft, vpcBottom - vpcTop}

	// The AWS services below, each with its lane; gateway endpoints on the
	// VPC's bottom edge, where the lane to their service passes.
	y = vpcBottom + 52
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
	y += destH
	d.route()
	d.layoutList(y + 26)
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

// collectMarks finds, for every broken path, the route tables, NACLs,
// security groups, listeners or placements that decide it (Hop.At): what
// stops a path that must be allowed, or, for one that must be blocked,
// the routes and security groups that let it through.
func (d *diagram) collectMarks() {
	add := func(key, layer string, n int) {
		if d.marks[key] == nil {
			d.marks[key] = map[string][]int{}
		}
		if !slices.Contains(d.marks[key][layer], n) {
			d.marks[key][layer] = append(d.marks[key][layer], n)
		}
	}
	subnets := map[string]bool{}
	for _, sn := range d.m.Subnets {
		if sn.VPC == d.vpc {
			subnets[sn.Name()] = true
		}
	}
	for i, c := range d.rep.Checks {
		for _, h := range deciders(c) {
			switch {
			case (h.Layer == "route" || h.Layer == "nacl") && subnets[h.At]:
				add("subnet:"+h.At, h.Layer, i+1)
			case h.Layer == "sg" || h.Layer == "placement" || h.Layer == "listener":
				add("bar:"+h.At, h.Layer, i+1)
			default:
				add("bar:"+h.At, "other", i+1)
			}
		}
	}
}

// nameIndex is where name occurs in text as a whole word, or -1.
func nameIndex(text, name string) int {
	if name == "" {
		return -1
	}
	word := func(b byte) bool {
		return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
	}
	for off := 0; ; {
		i := strings.Index(text[off:], name)
		if i < 0 {
			return -1
		}
		i += off
		j := i + len(name)
		if (i == 0 || !word(text[i-1])) && (j == len(text) || !word(text[j])) {
			return i
		}
		off = i + 1
	}
}

// via lists the gateways and endpoints a path passes, kind by kind in the
// order the path meets them.
func (d *diagram) via(c Check) (short, long string) {
	type step struct {
		kind  string
		names []string
	}
	var steps []*step
	type hit struct {
		at int
		dv *device
	}
	for _, l := range c.Legs {
		if l.Verdict != Allowed {
			continue
		}
		for _, h := range l.Hops {
			if h.Layer != "route" || h.Verdict != Allowed {
				continue
			}
			var hits []hit
			for _, dv := range d.devs {
				if i := nameIndex(h.Text, dv.name); i >= 0 {
					hits = append(hits, hit{i, dv})
				}
			}
			slices.SortFunc(hits, func(a, b hit) int { return a.at - b.at })
			for _, ht := range hits {
				k := slices.IndexFunc(steps, func(s *step) bool { return s.kind == ht.dv.kind })
				if k < 0 {
					steps = append(steps, &step{kind: ht.dv.kind})
					k = len(steps) - 1
				}
				if !slices.Contains(steps[k].names, ht.dv.name) {
					steps[k].names = append(steps[k].names, ht.dv.name)
				}
			}
		}
	}
	if len(steps) == 0 {
		return "", ""
	}
	var ls []string
	for _, s := range steps {
		kind := s.kind
		if len(s.names) > 1 {
			kind += "s"
		}
		ls = append(ls, kind+" "+strings.Join(s.names, ", "))
	}
	return "via " + steps[0].kind, "via " + strings.Join(ls, " → ")
}

// status is a path's verdict in a few words, with its mark.
func status(c Check) string {
	switch {
	case c.OK && c.Want == Denied:
		return "✓ blocked"
	case c.OK:
		return "✓ " + string(c.Verdict)
	case c.Verdict == c.Want:
		return "✘ " + string(c.Verdict) + ", but not safely"
	}
	if h := deciders(c); len(h) > 0 && c.Want == Allowed {
		return "✘ " + string(c.Verdict) + ": " + layerNames[h[0].Layer]
	}
	return "✘ " + string(c.Verdict)
}

var layerNames = map[string]string{"route": "route table", "nacl": "NACL", "sg": "security group", "placement": "placement", "listener": "listener", "endpoint": "endpoint"}

// deciders are the hops that break a path: those that stop it when it
// must be allowed, or, when it must be blocked, the routes and security
// groups that let it through.
func deciders(c Check) []Hop {
	if c.OK {
		return nil
	}
	deciding := func(h Hop) bool { return h.Verdict == Denied || h.Verdict == Unknown }
	if c.Want == Denied {
		deciding = func(h Hop) bool {
			return h.Verdict == Allowed && (h.Layer == "sg" || h.Layer == "route" && c.Verdict != Denied)
		}
	}
	var out []Hop
	for _, l := range c.Legs {
		if c.Want == Allowed && l.Verdict == Allowed {
			continue
		}
		for _, h := range l.Hops {
			if deciding(h) {
				out = append(out, h)
			}
		}
	}
	return out
}

func inkOf(c Check) string {
	if c.OK {
		return okInk
	}
	return badInk
}

// plan sorts every required path into the lane it takes: from the
// internet down the middle to a load balancer, or down the left margin to
// the tasks it must not reach; from a load balancer down the middle to the
// tasks; from the tasks down to the AWS services, or up the right margin
// to the internet. It writes the captions, whose size the layout needs.
func (d *diagram) plan() {
	// Captions at the top share the width: the left margin's on the left,
	// the right margin's on the right of the middle.
	half := svgWidth/2 - 24 - (laneLeft + 12)
	for i, c := range d.rep.Checks {
		a := &arrow{n: i + 1, c: c, head: c.Verdict != Denied}
		src, dst := d.barNamed(c.Row), d.barNamed(c.Col)
		short, _ := d.via(c)
		st := status(c)
		if c.OK && c.Want == Allowed && short != "" {
			st = "✓ " + short
		}
		cap := func(t string, width float64) {
			a.caption = para(t, small, width-22, false, inkOf(c), "  ")
			a.caption[0].lead = 3 // room for the badge
		}
		switch {
		case c.Row == "internet" && dst != nil && c.Want == Denied:
			a.lane = "left"
			cap(fmt.Sprintf("to %s, %s: %s", dst.role, c.Traffic, status(c)), half)
		case c.Row == "internet" && dst != nil:
			a.lane = "down"
			cap(fmt.Sprintf("%s to %s: %s", c.Traffic, dst.role, st), half)
		case src != nil && dst != nil:
			a.lane = "middle:" + src.name
			cap(fmt.Sprintf("%s to %s: %s", c.Traffic, dst.role, status(c)), half)
		case src != nil && c.Col == "internet":
			a.lane = "right"
			cap(fmt.Sprintf("%s from %s: %s", c.Traffic, src.role, st), half)
		case src != nil && d.destOf(c.Col) != nil:
			a.lane = "dest"
			ds := d.destOf(c.Col)
			if textWidth(st, small) > ds.b.w-20 {
				st = strings.Replace(st, "✓ via ", "✓ ", 1)
			}
			a.caption = para(st, small, ds.b.w-20, false, inkOf(c), "  ")
		default:
			a.lane = "other"
			cap(fmt.Sprintf("%s → %s %s: %s", c.From, c.To, c.Traffic, status(c)), svgWidth-40)
		}
		d.arws = append(d.arws, a)
	}
}

func (d *diagram) destOf(service string) *dest {
	for _, ds := range d.dsts {
		if ds.service == service {
			return ds
		}
	}
	return nil
}

// lane are the arrows that take one lane, in order.
func (d *diagram) lane(name string) []*arrow {
	var out []*arrow
	for _, a := range d.arws {
		if a.lane == name {
			out = append(out, a)
		}
	}
	return out
}

// offset spreads parallel arrows of a lane around its middle.
func (d *diagram) offset(a *arrow) float64 {
	g := d.lane(a.lane)
	k := slices.Index(g, a)
	return (float64(k) - float64(len(g)-1)/2) * laneStep
}

func captionsHeight(as []*arrow) float64 {
	h := 0.0
	for _, a := range as {
		h += linesHeight(a.caption)
	}
	return h
}

// route draws the arrows' points and places their captions, once the
// boxes are laid out.
func (d *diagram) route() {
	cx := d.centerLane()
	igwPort := cx
	for _, dv := range d.devs {
		if dv.top {
			igwPort = dv.port
			break
		}
	}
	topY := d.inet.y1() + 4
	downY := topY + max(captionsHeight(d.lane("left")), captionsHeight(d.lane("right"))) + 4
	stack := map[string]float64{}
	for _, a := range d.arws {
		c := a.c
		src, dst := d.barNamed(c.Row), d.barNamed(c.Col)
		o := d.offset(a)
		n := float64(len(d.lane(a.lane)))
		switch {
		case a.lane == "left":
			y, x := d.inet.my()+o, laneLeft-o
			a.pts = [][2]float64{{d.inet.x, y}, {x, y}, {x, dst.b.my() + o}, {dst.b.x, dst.b.my() + o}}
			a.capX, a.capY, a.anchor = laneLeft+12, topY+stack["left"], "start"
		case a.lane == "down":
			x := igwPort + o
			a.pts = [][2]float64{{x, d.inet.y1()}, {x, dst.b.y}}
			a.capX, a.capY, a.anchor = igwPort+n*laneStep/2+8, downY+stack["down"], "start"
		case strings.HasPrefix(a.lane, "middle:"):
			x := cx + o
			y0, y1 := src.b.y1(), dst.b.y
			if dst.b.y < src.b.y {
				y0, y1 = src.b.y, dst.b.y1()
			}
			a.pts = [][2]float64{{x, y0}, {x, y1}}
			// The caption sits in the gap below the source's row.
			gapTop := d.rows[src.row].b.y1() + 8
			if src.row == dst.row {
				gapTop = src.b.y1() + 6
			}
			a.capX, a.capY, a.anchor = cx+n*laneStep/2+8, gapTop+stack[a.lane], "start"
		case a.lane == "right":
			y, x := d.inet.my()+o, laneRight+o
			a.pts = [][2]float64{{src.b.x1(), src.b.my() + o}, {x, src.b.my() + o}, {x, y}, {d.inet.x1(), y}}
			a.capX, a.capY, a.anchor = laneRight-12, topY+stack["right"], "end"
		case a.lane == "dest":
			ds := d.destOf(c.Col)
			a.pts = [][2]float64{{ds.lane, src.b.y1()}, {ds.lane, ds.b.y}}
			// The number on the arrow, between the VPC and the box; the
			// caption in the box.
			a.badgeX, a.badgeY = ds.lane, d.vpcBox.y1()+28
			a.capX, a.capY, a.anchor = ds.b.x+10, ds.b.y+6+linesHeight(ds.lines)+stack["dest:"+ds.service], "start"
			stack["dest:"+ds.service] += 2
		default:
			// An end the picture does not place: along the right margin.
			y := d.vpcBox.y1() + 10
			a.pts = [][2]float64{{laneRight, d.vpcBox.y}, {laneRight, y}}
			a.capX, a.capY, a.anchor = laneRight-12, y+4+stack["other"], "end"
		}
		key := a.lane
		if a.lane == "dest" {
			key = "dest:" + c.Col
		}
		stack[key] += linesHeight(a.caption)
		if !a.head {
			// A blocked path ends in a bar just short of its target.
			k := len(a.pts)
			p, q := a.pts[k-2], a.pts[k-1]
			dx, dy := sign(q[0]-p[0]), sign(q[1]-p[1])
			a.pts[k-1] = [2]float64{q[0] - 6*dx, q[1] - 6*dy}
		}
	}
}

func sign(v float64) float64 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// layoutList writes the legend and the numbered list of required paths,
// the reasons of the broken ones in full.
func (d *diagram) layoutList(y float64) {
	maxY := y
	for _, ds := range d.dsts {
		maxY = max(maxY, ds.b.y1()+26)
	}
	d.listY = maxY + 22 // the legend sits above the list
	w := svgWidth - 40 - 12
	add := func(ls []line, n int, ok bool) {
		for i, l := range ls {
			d.list = append(d.list, l)
			if i == 0 {
				d.listN = append(d.listN, n)
			} else {
				d.listN = append(d.listN, 0)
			}
			d.listOK = append(d.listOK, ok)
		}
	}
	add(heading("the required paths", fmt.Sprintf(" · %d of %d hold", len(d.rep.Checks)-len(d.rep.Broken()), len(d.rep.Checks)), normal, w, ink), 0, true)
	for i, c := range d.rep.Checks {
		_, long := d.via(c)
		t := fmt.Sprintf("%s → %s %s: %s", c.From, c.To, c.Traffic, c.Verdict)
		switch {
		case c.OK && c.Want == Denied:
			t += ", as it must be"
		case !c.OK && c.Verdict != c.Want:
			t += ", must be " + string(c.Want)
		case !c.OK:
			t += ", but not safely"
		}
		if long != "" && c.OK && c.Want == Allowed {
			t += ", " + long
		}
		mark := "✓ "
		if !c.OK {
			mark = "✘ "
		}
		add(para(mark+t, small, w, !c.OK, inkOf(c), "  "), i+1, c.OK)
		if c.OK {
			continue
		}
		why := c.Because
		if c.Verdict == c.Want {
			why = []string{c.Why}
		}
		for _, b := range why {
			add(para("  – "+b, small, w, false, badInk, "    "), 0, false)
		}
	}
	for _, s := range d.rep.Skipped {
		add(para("skipped: "+s, small, w, false, mutedInk, "  "), 0, true)
	}
	for _, n := range append(d.notes, d.rep.Notes...) {
		add(para("note: "+n, small, w, false, mutedInk, "  "), 0, true)
	}
	entries := 0
	for _, n := range d.listN {
		if n > 0 {
			entries++
		}
	}
	d.height = d.listY + linesHeight(d.list) + float64(entries)*listGap + 14
}

func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
}

func num(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

type svgOut struct{ strings.Builder }

func (o *svgOut) f(format string, args ...any) { fmt.Fprintf(&o.Builder, format, args...) }

func (o *svgOut) rect(b box, fill, stroke string, extra string) {
	o.f(`<rect x="%s" y="%s" width="%s" height="%s" rx="4" fill="%s" stroke="%s"%s/>`+"\n", num(b.x), num(b.y), num(b.w), num(b.h), fill, stroke, extra)
}

// text writes lines, the first one's top at y, and returns the bottom of
// the last. Leading spaces indent (SVG would collapse them).
func (o *svgOut) text(x, y float64, ls []line, anchor string) float64 {
	for _, l := range ls {
		y += l.height()
		segs := slices.Clone(l.segs)
		lx := x
		if anchor == "start" && len(segs) > 0 {
			t := strings.TrimLeft(segs[0].s, " ")
			lx += float64(len(segs[0].s)-len(t)) * l.size * advance
			segs[0].s = t
		}
		o.f(`<text x="%s" y="%s" font-size="%s"`, num(lx), num(y-4), num(l.size))
		if anchor != "start" {
			o.f(` text-anchor="%s"`, anchor)
		}
		if len(segs) == 1 {
			s := segs[0]
			o.f(` fill="%s"%s%s>%s</text>`+"\n", s.fill, bold(s.bold), l.attrs, esc(s.s))
			continue
		}
		o.f(`%s>`, l.attrs)
		for _, s := range segs {
			at := ""
			if s.col > 0 {
				at = fmt.Sprintf(` x="%s"`, num(lx+s.col))
			}
			o.f(`<tspan%s fill="%s"%s>%s</tspan>`, at, s.fill, bold(s.bold), esc(s.s))
		}
		o.f("</text>\n")
	}
	return y
}

func bold(b bool) string {
	if b {
		return ` font-weight="bold"`
	}
	return ""
}

// badge is a path's number in a disc of its colour.
func (o *svgOut) badge(x, y float64, n int, colour string) {
	o.f(`<circle cx="%s" cy="%s" r="8.5" fill="%s"/>`, num(x), num(y), colour)
	o.f(`<text x="%s" y="%s" font-size="%s" font-weight="bold" fill="#ffffff" text-anchor="middle">%d</text>`+"\n", num(x), num(y+3.8), num(small), n)
}

func (d *diagram) draw() string {
	var o svgOut
	h := math.Ceil(d.height)
	o.f(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	o.f(`<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" font-family="%s" role="img" aria-labelledby="netcheck-title netcheck-desc">`+"\n", num(svgWidth), num(h), num(svgWidth), num(h), fonts)
	o.f(`<title id="netcheck-title">The network of the templates, with the required paths netcheck checked</title>` + "\n")
	o.f(`<desc id="netcheck-desc">%s</desc>`+"\n", esc(d.desc()))
	o.f(`<defs>` + "\n")
	for _, m := range []struct{ id, colour string }{{"ok", okInk}, {"bad", badInk}} {
		o.f(`<marker id="head-%s" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="%s"/></marker>`+"\n", m.id, m.colour)
		o.f(`<marker id="stop-%s" viewBox="0 0 10 10" refX="5" refY="5" markerUnits="userSpaceOnUse" markerWidth="14" markerHeight="14" orient="auto"><path d="M5,0 L5,10" stroke="%s" stroke-width="3"/></marker>`+"\n", m.id, m.colour)
	}
	o.f(`</defs>` + "\n")
	o.f(`<rect width="100%%" height="100%%" fill="#ffffff"/>` + "\n")
	o.text(12, 12, d.titleLs, "start")

	if d.vpc != nil {
		d.drawNetwork(&o)
	}
	d.drawList(&o)
	o.f("</svg>\n")
	return o.String()
}

func (d *diagram) desc() string {
	var ss []string
	for i, c := range d.rep.Checks {
		ss = append(ss, fmt.Sprintf("%d %s -> %s %s: %s", i+1, c.From, c.To, c.Traffic, status(c)))
	}
	return strings.Join(ss, "; ")
}

func (d *diagram) drawNetwork(o *svgOut) {
	// The internet.
	o.f(`<g data-element="internet">`)
	o.rect(d.inet, "#f4f6f8", "#52606d", ` stroke-width="1.5"`)
	o.text(d.inet.mx(), d.inet.y+5, []line{{segs: []seg{{s: "the internet", bold: true, fill: ink}}, size: normal + 1}}, "middle")
	o.f("</g>\n")

	// The VPC and its AZ columns.
	v := d.vpcBox
	o.f(`<g data-element="%s">`, esc(d.vpc.Name()))
	o.rect(v, "#fbfcfd", "#3e4c59", ` stroke-width="1.5"`)
	o.text(v.x+vpcPad, v.y+4, heading("VPC "+d.vpc.Name(), "  "+strings.Join(d.vpc.CIDRs, ", "), normal, d.cols[0].w, ink), "start")
	o.f("</g>\n")
	for i, c := range d.cols {
		o.text(c.x, d.azY, para(d.azTitle(i), small, c.w, true, mutedInk, "  "), "start")
	}
	for _, r := range d.rows {
		fill, stroke := "#eef4fb", "#4a7ab5"
		if r.tier == "private" {
			fill, stroke = "#f3f1f8", "#7460a8"
		}
		for _, c := range r.cells {
			if c == nil {
				continue
			}
			o.f(`<g data-element="%s" data-kind="%s subnet">`, esc(c.sn.Name()), r.tier)
			o.rect(c.b, fill, stroke, "")
			o.text(c.b.x+cellPad, c.b.y+cellPad-4, c.lines, "start")
			for _, ch := range c.chips {
				o.rect(ch.b, "#ffffff", "#6b7785", "")
				o.text(ch.b.x+8, ch.b.y+4, ch.lines, "start")
			}
			o.f("</g>\n")
		}
	}
	for _, b := range d.bars {
		fill, stroke := "#fff6dc", "#a07800"
		if b.kind == "tasks" {
			fill, stroke = "#e9ecfb", "#4c5bb0"
		}
		o.f(`<g data-element="%s" data-kind="%s">`, esc(b.name), b.kind)
		o.rect(b.b, fill, stroke, ` stroke-width="1.5"`)
		o.text(b.b.x+10, b.b.y+5, b.lines, "start")
		o.f("</g>\n")
	}
	for _, ds := range d.dsts {
		o.f(`<g data-element="%s" data-kind="aws service">`, esc(ds.service))
		o.rect(ds.b, "#f4f6f8", "#52606d", "")
		o.text(ds.b.x+10, ds.b.y+4, ds.lines, "start")
		o.f("</g>\n")
	}

	// The gateways on the VPC's edges, with the port the arrows pass.
	for _, dv := range d.devs {
		if len(dv.subnets) > 0 {
			continue
		}
		stroke, extra := "#3e4c59", ""
		if dv.broken != "" {
			stroke, extra = badInk, ` stroke-dasharray="5 3" stroke-width="1.5"`
		}
		o.f(`<g data-element="%s" data-kind="%s"`, esc(dv.name), dv.kind)
		if dv.broken != "" {
			o.f(` data-broken="%s"`, esc(dv.broken))
		}
		o.f(">")
		o.rect(dv.b, "#ffffff", stroke, extra)
		// The port the arrows pass through.
		o.f(`<rect x="%s" y="%s" width="24" height="%s" fill="#e4e7eb" stroke="none"/>`, num(dv.port-12), num(dv.b.y+1), num(dv.b.h-2))
		ls := []line{{segs: []seg{{s: dv.kind, bold: true, fill: ink}}, size: small}, {segs: []seg{{s: dv.name, bold: false, fill: ink}}, size: small}}
		if dv.broken != "" {
			ls[1] = line{segs: []seg{{s: dv.name, bold: false, fill: ink}}, size: small}
			ls = append(ls, line{segs: []seg{{s: "✘ " + dv.broken, bold: true, fill: badInk}}, size: small})
		}
		o.text(dv.textX, dv.b.y+4, ls, "start")
		o.f("</g>\n")
	}
	// The arrows, each with its number and caption.
	for _, a := range d.arws {
		id := "ok"
		dash := ""
		if !a.c.OK {
			id, dash = "bad", ` stroke-dasharray="7 4"`
		}
		marker := "head-" + id
		if !a.head {
			marker = "stop-" + id
		}
		var p strings.Builder
		for i, pt := range a.pts {
			if i == 0 {
				p.WriteString("M")
			} else {
				p.WriteString(" L")
			}
			p.WriteString(num(pt[0]) + "," + num(pt[1]))
		}
		o.f(`<g data-path="%d" data-from="%s" data-to="%s" data-traffic="%s" data-verdict="%s" data-want="%s" data-ok="%t">`, a.n, esc(a.c.From), esc(a.c.To), esc(a.c.Traffic), a.c.Verdict, a.c.Want, a.c.OK)
		o.f(`<title>%s</title>`, esc(fmt.Sprintf("%d %s -> %s %s: %s", a.n, a.c.From, a.c.To, a.c.Traffic, a.c.Reason)))
		o.f(`<path d="%s" fill="none" stroke="%s" stroke-width="2"%s marker-end="url(#%s)"/>`+"\n", p.String(), inkOf(a.c), dash, marker)
		if a.badgeX > 0 {
			o.badge(a.badgeX, a.badgeY, a.n, inkOf(a.c))
		}
		y := a.capY
		for li, l := range a.caption {
			tx := a.capX
			if a.badgeX == 0 {
				bx := a.capX + 9
				tx = a.capX + 22
				if a.anchor == "end" {
					bx = a.capX - textWidth(strings.TrimLeft(l.text(), " "), l.size) - 13
					tx = a.capX
				}
				if li == 0 {
					o.badge(bx, y+l.lead+(l.height()-l.lead)/2+1, a.n, inkOf(a.c))
				}
			}
			y = o.text(tx, y, []line{l}, a.anchor)
		}
		o.f("</g>\n")
	}
}

func (d *diagram) drawList(o *svgOut) {
	y := d.listY - 22
	// The legend: what the arrows' styles mean.
	x := 12.0
	legend := []struct {
		ok    bool
		head  bool
		label string
	}{{true, true, "✓ proven"}, {true, false, "✓ blocked, as it must be"}, {false, true, "✘ broken: gets (partly) through"}, {false, false, "✘ broken: blocked"}}
	for _, l := range legend {
		id, colour, dash := "ok", okInk, ""
		if !l.ok {
			id, colour, dash = "bad", badInk, ` stroke-dasharray="7 4"`
		}
		marker := "head-" + id
		if !l.head {
			marker = "stop-" + id
		}
		o.f(`<path d="M%s,%s L%s,%s" stroke="%s" stroke-width="2"%s marker-end="url(#%s)"/>`, num(x), num(y+8), num(x+34), num(y+8), colour, dash, marker)
		o.text(x+42, y, []line{{segs: []seg{{s: l.label, bold: false, fill: colour}}, size: small}}, "start")
		x += 42 + textWidth(l.label, small) + 16
	}
	o.f("\n")
	y = d.listY
	for i, l := range d.list {
		if d.listN[i] > 0 {
			y += listGap
			colour := okInk
			if !d.listOK[i] {
				colour = badInk
			}
			o.badge(20, y+l.height()/2+1, d.listN[i], colour)
		}
		x := 34.0
		if i == 0 {
			x = 12
		}
		y = o.text(x, y, []line{l}, "start")
	}
}
