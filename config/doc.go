package config

import (
	"fmt"
	"strings"
)

// SettingsTable renders every setting as the Markdown table in docs/configuration.md,
// from the same table Load reads, so the docs cannot drift from the code.
func SettingsTable() string {
	dev, prod := defaults(DefaultAppName, DefaultEnvironment), defaults(DefaultAppName, ProductionEnvironment)
	dev.deriveSubnets()
	prod.deriveSubnets()
	var b strings.Builder
	b.WriteString("| Key | Type | Default | Meaning |\n|---|---|---|---|\n")
	for _, s := range settings {
		def := showDefault(s.get(&dev))
		if p := showDefault(s.get(&prod)); p != def {
			def += fmt.Sprintf(" (prod: %s)", p)
		}
		typ := s.typ
		if len(s.enum) > 0 {
			typ = strings.Join(quoteAll(s.enum), " \\| ")
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", s.key, typ, def, strings.ReplaceAll(s.doc, "|", "\\|"))
	}
	return b.String()
}

func showDefault(v any) string {
	switch x := v.(type) {
	case string:
		if x == "" {
			return "empty"
		}
		return "`" + x + "`"
	case []string:
		if len(x) == 0 {
			return "empty"
		}
		return "`" + show(x) + "`"
	case map[string]string:
		if len(x) == 0 {
			return "empty"
		}
	case []NaclRule:
		if len(x) == 0 {
			return "empty"
		}
	case *Schedule:
		if x == nil {
			return "none: always on"
		}
		return "`" + x.String() + "`"
	}
	return "`" + show(v) + "`"
}
