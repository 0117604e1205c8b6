// Package dockerfile finds what a Dockerfile makes BuildKit pull from Docker
// Hub, whose anonymous pulls are rate-limited ("toomanyrequests"), before
// anything is built.
//
// BuildKit pulls on its own: the frontend named by a `# syntax=` directive,
// every FROM image, COPY --from= and RUN --mount=from= images. Scan reads
// them the way the Dockerfile frontend does: parser directives only at the
// top, line continuations (with the `# escape=` character), comments,
// heredoc bodies skipped, ARG defaults substituted (global ARGs for FROM,
// the stage's for the others), build stages and `scratch` are no images,
// and a name without a registry host is a Docker Hub name, as
// `docker pull` normalizes it (nginx is docker.io/library/nginx).
package dockerfile

import (
	"fmt"
	"regexp"
	"strings"
)

// Finding is one reference that resolves to Docker Hub, or whose registry
// cannot be told without a --build-arg.
type Finding struct {
	Line int
	// Instruction introduces the reference: "# syntax=", "FROM ",
	// "COPY --from=" or "RUN --mount=from=".
	Instruction string
	// Ref is the reference as written.
	Ref string
	// Image is the reference after ARG substitution, with Docker Hub's
	// implied host (and library/ for official images).
	Image string
	// Unresolved, when set, is the ARG without a default that decides the
	// registry: the pipeline passes no build arguments, so the build would
	// use it empty.
	Unresolved string
}

func (f Finding) String() string {
	if f.Unresolved != "" {
		return fmt.Sprintf("line %d: %s%s cannot be checked: ARG %s has no default, so the registry depends on --build-arg", f.Line, f.Instruction, f.Ref, f.Unresolved)
	}
	return fmt.Sprintf("line %d: %s%s pulls %s from Docker Hub", f.Line, f.Instruction, f.Ref, f.Image)
}

// dockerHub are the names of Docker Hub's registry.
var dockerHub = map[string]bool{"docker.io": true, "index.docker.io": true, "registry-1.docker.io": true, "registry.hub.docker.com": true}

// IsDockerHub reports whether a registry host is Docker Hub.
func IsDockerHub(host string) bool { return dockerHub[strings.ToLower(host)] }

// Registry returns the registry host of an image reference and the
// reference with that host spelled out, as Docker normalizes names: the
// first path component is a host only if it has a dot or a port, is
// "localhost", or has upper-case letters; otherwise the image is on Docker
// Hub, and a single-component name is an official (library/) image.
func Registry(ref string) (host, image string) {
	i := strings.IndexByte(ref, '/')
	if i < 0 {
		return "docker.io", "docker.io/library/" + ref
	}
	first := ref[:i]
	if strings.ContainsAny(first, ".:") || first == "localhost" || strings.ToLower(first) != first {
		return first, ref
	}
	return "docker.io", "docker.io/" + ref
}

var (
	directiveRe = regexp.MustCompile(`^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`)
	heredocRe   = regexp.MustCompile(`<<(-?)["']?([A-Za-z_][A-Za-z0-9_]*)["']?`)
	stageIndex  = regexp.MustCompile(`^[0-9]+$`)
)

// predefined are the platform ARGs BuildKit sets without a declaration, with
// a representative value: they never decide a registry.
var predefined = map[string]string{
	"BUILDPLATFORM": "linux/amd64", "BUILDOS": "linux", "BUILDARCH": "amd64", "BUILDVARIANT": "",
	"TARGETPLATFORM": "linux/amd64", "TARGETOS": "linux", "TARGETARCH": "amd64", "TARGETVARIANT": "",
}

// scope maps an ARG to its value; nil means declared without a default.
type scope map[string]*string

func (s scope) lookup(name string) (string, bool) {
	if v, ok := s[name]; ok {
		if v == nil {
			return "", false
		}
		return *v, true
	}
	v, ok := predefined[name]
	return v, ok
}

// Scan returns every reference of a Dockerfile that BuildKit would pull
// from Docker Hub, or cannot be told apart from one, in file order.
func Scan(src string) []Finding {
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	s := &scan{lines: lines, escape: '\\', stages: map[string]bool{}, global: scope{}}
	// Parser directives: only the first lines, up to anything else.
	for ; s.at < len(lines); s.at++ {
		m := directiveRe.FindStringSubmatch(lines[s.at])
		if m == nil {
			break
		}
		switch strings.ToLower(m[1]) {
		case "syntax":
			s.check(s.at+1, "# syntax=", m[2], m[2], "", "")
		case "escape":
			if m[2] == "`" {
				s.escape = '`'
			}
		}
	}
	for {
		line, text, ok := s.next()
		if !ok {
			return s.findings
		}
		s.instruction(line, text)
	}
}

type scan struct {
	lines    []string
	at       int // next physical line, 0-based
	escape   byte
	findings []Finding
	stages   map[string]bool // stage names defined so far, lower case
	global   scope           // ARGs before the first FROM
	stage    scope           // ARGs of the current stage; nil before the first FROM
}

// next returns the next instruction, continuation lines joined, and the
// line it starts on; comments and empty lines are skipped.
func (s *scan) next() (int, string, bool) {
	for s.at < len(s.lines) {
		raw := s.lines[s.at]
		s.at++
		if t := strings.TrimSpace(raw); t == "" || t[0] == '#' {
			continue
		}
		start, text := s.at, ""
		for {
			t := strings.TrimRight(raw, " \t")
			if !strings.HasSuffix(t, string(s.escape)) {
				text += raw
				break
			}
			text += t[:len(t)-1] + " "
			for {
				if s.at >= len(s.lines) {
					return start, text, true
				}
				raw = s.lines[s.at]
				s.at++
				if t := strings.TrimSpace(raw); t == "" || t[0] == '#' {
					continue // comments and empty lines inside a continuation
				}
				break
			}
		}
		return start, text, true
	}
	return 0, "", false
}

// skipHeredocs skips the bodies of the heredocs an instruction opens.
func (s *scan) skipHeredocs(text string) {
	for _, m := range heredocRe.FindAllStringSubmatch(text, -1) {
		for s.at < len(s.lines) {
			l := s.lines[s.at]
			s.at++
			if m[1] == "-" {
				l = strings.TrimLeft(l, "\t")
			}
			if strings.TrimRight(l, " \t") == m[2] {
				break
			}
		}
	}
}

func (s *scan) instruction(line int, text string) {
	fields := strings.Fields(text)
	kw := strings.ToUpper(fields[0])
	if kw == "ONBUILD" && len(fields) > 1 {
		fields = fields[1:]
		kw = strings.ToUpper(fields[0])
	}
	args := fields[1:]
	switch kw {
	case "ARG":
		s.arg(args)
	case "FROM":
		s.from(line, args)
	case "COPY":
		for _, a := range flags(args) {
			if ref, ok := strings.CutPrefix(a, "--from="); ok {
				s.checkStageRef(line, "COPY --from=", ref)
			}
		}
		s.skipHeredocs(text)
	case "RUN":
		for _, a := range flags(args) {
			if mount, ok := strings.CutPrefix(a, "--mount="); ok {
				for _, kv := range strings.Split(mount, ",") {
					if ref, ok := strings.CutPrefix(kv, "from="); ok {
						s.checkStageRef(line, "RUN --mount=from=", ref)
					}
				}
			}
		}
		s.skipHeredocs(text)
	case "ADD":
		s.skipHeredocs(text)
	}
}

// flags are an instruction's leading --flags.
func flags(args []string) []string {
	for i, a := range args {
		if !strings.HasPrefix(a, "--") {
			return args[:i]
		}
	}
	return args
}

func (s *scan) arg(args []string) {
	sc := s.global
	if s.stage != nil {
		sc = s.stage
	}
	for _, a := range args {
		name, value, hasDefault := strings.Cut(a, "=")
		switch {
		case hasDefault:
			v, _, _ := expand(unquote(value), sc)
			sc[name] = &v
		case s.stage != nil && s.global[name] != nil:
			// A stage's ARG without a default takes the global one.
			sc[name] = s.global[name]
		default:
			sc[name] = nil
		}
	}
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

func (s *scan) from(line int, args []string) {
	rest := args[len(flags(args)):]
	if len(rest) == 0 {
		return
	}
	ref := rest[0]
	s.checkRef(line, "FROM ", ref, s.global)
	s.stage = scope{}
	if len(rest) >= 3 && strings.EqualFold(rest[1], "AS") {
		s.stages[strings.ToLower(rest[2])] = true
	}
}

// checkStageRef checks a COPY --from or RUN --mount from=, which may also
// name a stage by its index.
func (s *scan) checkStageRef(line int, instruction, ref string) {
	sc := s.stage
	if sc == nil {
		sc = s.global
	}
	if v, _, _ := expand(ref, sc); stageIndex.MatchString(v) {
		return
	}
	s.checkRef(line, instruction, ref, sc)
}

func (s *scan) checkRef(line int, instruction, ref string, sc scope) {
	image, marked, missing := expand(ref, sc)
	if lower := strings.ToLower(image); lower == "scratch" || s.stages[lower] {
		return
	}
	first := ""
	if len(missing) > 0 {
		first = missing[0]
	}
	s.check(line, instruction, ref, image, marked, first)
}

// check records a finding when image is on Docker Hub, or when the part of
// it that names the registry (in marked, where unresolved ARGs are \x00)
// depends on an ARG without a default.
func (s *scan) check(line int, instruction, ref, image, marked, missing string) {
	if marked == "" {
		marked = image
	}
	hostPart := marked
	if i := strings.IndexByte(marked, '/'); i >= 0 {
		hostPart = marked[:i]
	} else if i := strings.IndexAny(marked, ":@"); i >= 0 {
		hostPart = marked[:i] // no registry host: the repository name alone
	}
	if strings.Contains(hostPart, "\x00") {
		s.findings = append(s.findings, Finding{Line: line, Instruction: instruction, Ref: ref, Unresolved: missing})
		return
	}
	if host, full := Registry(image); IsDockerHub(host) {
		s.findings = append(s.findings, Finding{Line: line, Instruction: instruction, Ref: ref, Image: full})
	}
}

// expand substitutes ARGs as the Dockerfile frontend does: $NAME, ${NAME},
// ${NAME:-word}, ${NAME-word}, ${NAME:+word}, ${NAME+word}; \$ is a plain $.
// It returns the result with unresolved ARGs left as written, the same
// with each of them replaced by \x00, and their names.
func expand(s string, sc scope) (out, marked string, missing []string) {
	var b, m strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) && s[i+1] == '$' {
			b.WriteByte('$')
			m.WriteByte('$')
			i++
			continue
		}
		if c != '$' || i+1 >= len(s) {
			b.WriteByte(c)
			m.WriteByte(c)
			continue
		}
		var name, op, word, text string
		if s[i+1] == '{' {
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				b.WriteString(s[i:])
				m.WriteString(s[i:])
				break
			}
			inner := s[i+2 : i+end]
			text = s[i : i+end+1]
			i += end
			n := 0
			for n < len(inner) && isNameByte(inner[n]) {
				n++
			}
			name, rest := inner[:n], inner[n:]
			for _, o := range []string{":-", ":+", "-", "+"} {
				if w, ok := strings.CutPrefix(rest, o); ok {
					op, word = o, w
					break
				}
			}
			b2, m2, miss := sub(name, op, word, text, sc)
			b.WriteString(b2)
			m.WriteString(m2)
			missing = append(missing, miss...)
			continue
		}
		n := i + 1
		for n < len(s) && isNameByte(s[n]) {
			n++
		}
		if n == i+1 {
			b.WriteByte(c)
			m.WriteByte(c)
			continue
		}
		name, text = s[i+1:n], s[i:n]
		i = n - 1
		b2, m2, miss := sub(name, "", "", text, sc)
		b.WriteString(b2)
		m.WriteString(m2)
		missing = append(missing, miss...)
	}
	return b.String(), m.String(), missing
}

// sub is one substitution: the value, the word, or (unresolved) the text as
// written and \x00.
func sub(name, op, word, text string, sc scope) (out, marked string, missing []string) {
	v, ok := sc.lookup(name)
	switch op {
	case ":-":
		if ok && v != "" {
			return v, v, nil
		}
		return expand(word, sc)
	case "-":
		if ok {
			return v, v, nil
		}
		return expand(word, sc)
	case ":+":
		if ok && v != "" {
			return expand(word, sc)
		}
		return "", "", nil
	case "+":
		if ok {
			return expand(word, sc)
		}
		return "", "", nil
	}
	if ok {
		return v, v, nil
	}
	return text, "\x00", []string{name}
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
