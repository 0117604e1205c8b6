function expand(s, arr,   out, name, def, j, v) {
	out = ""
	while (match(s, /\$(\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}|[A-Za-z_][A-Za-z0-9_]*)/)) {
		name = substr(s, RSTART + 1, RLENGTH - 1); j = 0
		if (name ~ /^\{/) { name = substr(name, 2, length(name) - 2); j = index(name, ":-") }
		if (j) { def = substr(name, j + 2); name = substr(name, 1, j - 1) }
		v = (name in arr) ? arr[name] : "\001"
		if (j && (v == "" || v == "\001")) v = def
		out = out substr(s, 1, RSTART - 1) v; s = substr(s, RSTART + RLENGTH)
	}
	return out s
}
function verdict(raw, r, what,   i, first) {
	if (tolower(r) == "scratch" || (tolower(r) in stage) || (what != "FROM " && r ~ /^[0-9]+$/)) return
	i = index(r, "/"); first = i ? substr(r, 1, i - 1) : r
	if (!i) sub(/[:@].*/, "", first)
	if (first ~ /\001/) bad = bad sprintf("%s:%d: %s%s: an ARG without a default decides its registry\n", f, start, what, raw)
	else if (!i || (first !~ /[.:]/ && first != "localhost" && first == tolower(first)) || tolower(first) ~ /^(docker\.io|index\.docker\.io|registry-1\.docker\.io|registry\.hub\.docker\.com)$/) bad = bad sprintf("%s:%d: %s%s pulls from Docker Hub\n", f, start, what, raw)
}
function platform() { split("BUILDPLATFORM BUILDOS BUILDARCH BUILDVARIANT TARGETPLATFORM TARGETOS TARGETARCH TARGETVARIANT", p, " "); for (x in p) a[p[x]] = "linux" }
BEGIN { d = 1; platform(); for (x in a) g[x] = a[x] }
{ sub(/\r$/, "") }
d && /^#[ \t]*[A-Za-z][A-Za-z0-9]*[ \t]*=/ { if (tolower($0) ~ /^#[ \t]*syntax[ \t]*=/) { v = $0; sub(/^[^=]*=[ \t]*/, "", v); sub(/[ \t]+$/, "", v); start = NR; verdict(v, v, "# syntax=") } next }
{ d = 0 }
/^[ \t]*(#|$)/ { next }
{ if (cont == "") start = NR; $0 = cont $0; cont = "" }
/\\[ \t]*$/ { sub(/\\[ \t]*$/, " "); cont = $0; next }
toupper($1) == "ONBUILD" { $1 = ""; $0 = $0 }
{ k = toupper($1) }
k == "ARG" { for (i = 2; i <= NF; i++) { n = $i; j = index(n, "="); if (j) { v = substr(n, j + 1); n = substr(n, 1, j - 1); gsub("^[\"" q "]|[\"" q "]$", "", v) }
	if (!instage && j) g[n] = expand(v, g); else if (j) a[n] = expand(v, a); else if (instage && (n in g)) a[n] = g[n] } }
k == "FROM" { for (i = 2; i < NF && $i ~ /^--/; i++); verdict($i, expand($i, g), "FROM "); split("", a); platform(); instage = 1; if (toupper($(i + 1)) == "AS") stage[tolower($(i + 2))] = 1 }
k == "COPY" { for (i = 2; i <= NF && $i ~ /^--/; i++) if ($i ~ /^--from=/) { r = substr($i, 8); verdict(r, expand(r, a), "COPY --from=") } }
k == "RUN" { for (i = 2; i <= NF && $i ~ /^--/; i++) if ($i ~ /^--mount=/) { m = split(substr($i, 9), kv, ","); for (j = 1; j <= m; j++) if (kv[j] ~ /^from=/) { r = substr(kv[j], 6); verdict(r, expand(r, a), "RUN --mount=from=") } } }
END { if (bad != "") { printf "%sDocker Hub rate-limits anonymous pulls (toomanyrequests), and this build does not log in: name these images on ECR Public (public.ecr.aws/docker/library/...) or another registry, or set dockerHubSecretArn\n", bad > "/dev/stderr"; exit 1 } }
