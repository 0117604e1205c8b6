package netcheck

// Writing the picture: text measured in monospace glyphs and wrapped to
// its box, and the SVG elements.

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

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
	o.f(`<g data-part="list">` + "\n")
	d.drawList(&o)
	o.f("</g>\n")
	o.f("</svg>\n")
	return o.String()
}

func (d *diagram) desc() string {
	var ss []string
	for i, c := range d.rep.Checks {
		ss = append(ss, fmt.Sprintf("%d %s -> %s%s %s: %s", i+1, c.From, c.To, viaText(c), c.Traffic, status(c)))
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
		o.f(`<title>%s</title>`, esc(fmt.Sprintf("%d %s -> %s%s %s: %s", a.n, a.c.From, a.c.To, viaText(a.c), a.c.Traffic, a.c.Reason)))
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

// viaText says which test listener or target group a check goes through.
func viaText(c Check) string {
	if c.Via == "" {
		return ""
	}
	return " via " + c.Via
}
