package netcheck

// The required paths in the picture: which lane each arrow takes, its
// caption, and the marks where a broken path breaks.

import (
	"fmt"
	"slices"
	"strings"
)

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
			case h.Layer == "sg" || h.Layer == "placement" || h.Layer == "listener" || h.Layer == "nat":
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

var layerNames = map[string]string{"route": "route table", "nacl": "NACL", "sg": "security group", "placement": "placement", "listener": "listener", "endpoint": "endpoint", "nat": "NAT instance"}

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
		src, dst := d.barNamed(c.Row), d.target(c.Col)
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
			cap(fmt.Sprintf("to %s%s, %s: %s", dst.role, viaText(c), c.Traffic, status(c)), half)
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

// target is the bar a path ends at or, for a device a path may end at (a
// NAT instance, which the internet must not reach), its chip, as a bar
// only arrows use.
func (d *diagram) target(name string) *bar {
	if b := d.barNamed(name); b != nil {
		return b
	}
	if ch := d.devChips[name]; ch != nil {
		return &bar{name: name, role: "the NAT instance", kind: "device", b: ch.b}
	}
	return nil
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
		src, dst := d.barNamed(c.Row), d.target(c.Col)
		o := d.offset(a)
		n := float64(len(d.lane(a.lane)))
		switch {
		case a.lane == "left":
			y, x := d.inet.my()+o, laneLeft+o
			a.pts = [][2]float64{{d.inet.x, y}, {x, y}, {x, dst.b.my() + o}, {dst.b.x, dst.b.my() + o}}
			a.capX, a.capY, a.anchor = laneLeft+12, topY+stack["left"], "start"
		case a.lane == "down":
			x := igwPort + o
			a.pts = append([][2]float64{{x, d.inet.y1()}}, into(dst, x, true)...)
			a.capX, a.capY, a.anchor = igwPort+n*laneStep/2+8, downY+stack["down"], "start"
		case strings.HasPrefix(a.lane, "middle:"):
			x := cx + o
			down := dst.b.y > src.b.y
			from := into(src, x, !down)
			slices.Reverse(from)
			a.pts = append(from, into(dst, x, down)...)
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

// into is how an arrow down (or up) lane x reaches bar b: straight into
// its top (or bottom) edge, or, when the lane passes beside a bar that
// spans fewer columns, along its middle into its nearer end.
func into(b *bar, x float64, top bool) [][2]float64 {
	if b.b.x+4 <= x && x <= b.b.x1()-4 {
		if top {
			return [][2]float64{{x, b.b.y}}
		}
		return [][2]float64{{x, b.b.y1()}}
	}
	end := b.b.x
	if x > b.b.x1() {
		end = b.b.x1()
	}
	return [][2]float64{{x, b.b.my()}, {end, b.b.my()}}
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
