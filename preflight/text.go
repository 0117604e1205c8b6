package preflight

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Mark is the checklist symbol of a status.
func (s Status) Mark() string {
	switch s {
	case OK:
		return "✔"
	case Fail:
		return "✘"
	}
	return "!"
}

// WriteJSON writes the report for machines.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// WriteText writes the checklist: one line per check, ✔, ✘ or !, what was
// found, and for ✘ and ! the fix on the line below.
func WriteText(w io.Writer, r *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "preflight of %s (%s) in account %s, region %s", r.Assembly, strings.Join(r.Stacks, ", "), r.Account, r.Region)
	if r.Profile != "" {
		fmt.Fprintf(&b, ", profile %s", r.Profile)
	}
	b.WriteString("\n\n")
	width := 0
	for _, res := range r.Results {
		width = max(width, len(res.Check))
	}
	indent := strings.Repeat(" ", width+3)
	for _, res := range r.Results {
		fmt.Fprintf(&b, "%s %-*s %s\n", res.Status.Mark(), width, res.Check, res.Found)
		if res.Fix != "" && res.Status != OK {
			fmt.Fprintf(&b, "%sfix: %s\n", indent, res.Fix)
		}
	}
	fmt.Fprintf(&b, "\n%d checks: %d failed, %d warning(s), %d passed. Read-only: %d kinds of API call, all reads: Get, Describe, List or BatchGet (--json lists them).\n",
		len(r.Results), r.Failed, r.Warnings, len(r.Results)-r.Failed-r.Warnings, len(r.Calls))
	switch {
	case r.Failed > 0:
		b.WriteString("Fix the ✘ lines before deploying: the deploy would fail on them, or what it deploys would not work.\n")
	case r.Warnings > 0:
		b.WriteString("Nothing blocks the deploy; the ! lines need a look.\n")
	default:
		b.WriteString("Nothing blocks the deploy.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
