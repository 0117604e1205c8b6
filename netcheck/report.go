package netcheck

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// WriteText prints the report for people: the matrix of required paths,
// then each path with the rules that decided it, hop by hop.
func (r Report) WriteText(w io.Writer) error { return r.write(w, false) }

// WriteSummary prints the matrix and the broken paths only, for `make test`.
func (r Report) WriteSummary(w io.Writer) error { return r.write(w, true) }

func (r Report) write(w io.Writer, brief bool) error {
	var b strings.Builder
	fmt.Fprintf(&b, "netcheck %s: %s\n", r.Dir, strings.Join(r.Stacks, ", "))
	fmt.Fprintf(&b, "egress mode %s (%s)\n\n", r.Egress, r.EgressWhy)
	b.WriteString(r.matrix())
	b.WriteString("\n")
	for _, c := range r.Checks {
		if brief {
			break
		}
		mark := "ok  "
		if !c.OK {
			mark = "FAIL"
		}
		via := ""
		if c.Via != "" {
			via = " via " + c.Via
		}
		fmt.Fprintf(&b, "%s %s -> %s%s %s: %s", mark, c.From, c.To, via, c.Traffic, c.Verdict)
		if !c.OK && c.Verdict != c.Want {
			fmt.Fprintf(&b, " (must be %s)", c.Want)
		}
		b.WriteString("\n")
		for _, why := range c.Because {
			fmt.Fprintf(&b, "       %s\n", why)
		}
		if !c.OK && c.Verdict == c.Want {
			fmt.Fprintf(&b, "     broken: %s\n", c.Why)
		}
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(&b, "skipped: %s\n", s)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	if broken := r.Broken(); len(broken) > 0 {
		if !brief {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%d of %d required paths broken:\n", len(broken), len(r.Checks))
		for _, c := range broken {
			if c.Verdict == c.Want {
				fmt.Fprintf(&b, "  %s\n", c.Why)
				continue
			}
			fmt.Fprintf(&b, "  %s -> %s %s must be %s, is %s:\n", c.From, c.To, c.Traffic, c.Want, c.Verdict)
			for _, why := range c.Because {
				fmt.Fprintf(&b, "    %s\n", why)
			}
		}
	} else {
		if !brief {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "all %d required paths hold\n", len(r.Checks))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// matrix lays the required paths out with sources as rows and
// destinations as columns; a cell is the verdict, marked when it is not
// what the app needs.
func (r Report) matrix() string {
	var rows, cols []string
	cells := map[[2]string][]Check{}
	for _, c := range r.Checks {
		if !slices.Contains(rows, c.Row) {
			rows = append(rows, c.Row)
		}
		k := [2]string{c.Row, c.Col}
		cells[k] = append(cells[k], c)
	}
	// Columns: the places of the rows (load balancers, tasks), then the AWS
	// services, then the internet.
	for _, row := range rows {
		for _, c := range r.Checks {
			if c.Col == row && row != "internet" && !slices.Contains(cols, row) {
				cols = append(cols, row)
			}
		}
	}
	for _, c := range r.Checks {
		if c.Col != "internet" && !slices.Contains(cols, c.Col) {
			cols = append(cols, c.Col)
		}
	}
	if slices.ContainsFunc(r.Checks, func(c Check) bool { return c.Col == "internet" }) {
		cols = append(cols, "internet")
	}
	text := func(cs []Check) string {
		if len(cs) == 0 {
			return "."
		}
		var vs []string
		bad := false
		for _, c := range cs {
			if !slices.Contains(vs, string(c.Verdict)) {
				vs = append(vs, string(c.Verdict))
			}
			bad = bad || !c.OK
		}
		t := strings.Join(vs, "/")
		if bad {
			t = strings.ToUpper(t) + "!"
		}
		return t
	}
	width := []int{len("from \\ to")}
	for _, row := range rows {
		width[0] = max(width[0], len(row))
	}
	for _, col := range cols {
		w := len(col)
		for _, row := range rows {
			w = max(w, len(text(cells[[2]string{row, col}])))
		}
		width = append(width, w)
	}
	var b strings.Builder
	line := func(first string, rest []string) {
		fmt.Fprintf(&b, "%-*s", width[0], first)
		for i, s := range rest {
			fmt.Fprintf(&b, "  %-*s", width[i+1], s)
		}
		b.WriteString("\n")
	}
	line("from \\ to", cols)
	for _, row := range rows {
		var cs []string
		for _, col := range cols {
			cs = append(cs, text(cells[[2]string{row, col}]))
		}
		line(row, cs)
	}
	b.WriteString("(. not a required path; UPPERCASE! not what the app needs)\n")
	return b.String()
}

// WriteJSON prints the report for machines.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText prints one path's verdict with its hops, leg by leg.
func (res Result) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s -> %s %s: %s\n", res.From, res.To, res.Traffic, res.Verdict)
	for _, why := range res.Because {
		fmt.Fprintf(&b, "  %s\n", why)
	}
	if len(res.Legs) > 1 {
		b.WriteString("legs:\n")
		for _, l := range res.Legs {
			fmt.Fprintf(&b, "  %s -> %s: %s\n", l.From, l.To, l.Verdict)
			for _, h := range l.Hops {
				fmt.Fprintf(&b, "    %-9s %-7s %s\n", h.Layer, h.Verdict, h.Text)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
