package dockerfile

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestScan(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // Finding.String() of every finding, in order
	}{
		{"ECR Public only", `FROM public.ecr.aws/docker/library/golang:1.26 AS build
FROM scratch
COPY --from=build /out /out`, nil},
		{"the syntax directive pulls the frontend from Docker Hub", "# syntax=docker/dockerfile:1\nFROM public.ecr.aws/x/y:1", []string{
			"line 1: # syntax=docker/dockerfile:1 pulls docker.io/docker/dockerfile:1 from Docker Hub",
		}},
		{"a directive with spaces and another case", "#  Syntax = docker/dockerfile:1.7\n# escape=\\\nFROM public.ecr.aws/x/y:1", []string{
			"line 1: # syntax=docker/dockerfile:1.7 pulls docker.io/docker/dockerfile:1.7 from Docker Hub",
		}},
		{"a syntax directive on another registry", "# syntax=ghcr.io/example/frontend:1\nFROM public.ecr.aws/x/y:1", nil},
		{"a syntax comment after the first line is no directive", "# a comment\n# syntax=docker/dockerfile:1\nFROM public.ecr.aws/x/y:1", nil},
		{"a syntax comment after an empty line is no directive", "\n# syntax=docker/dockerfile:1\nFROM public.ecr.aws/x/y:1", nil},
		{"an unqualified official image", "FROM golang:1.26-alpine", []string{
			"line 1: FROM golang:1.26-alpine pulls docker.io/library/golang:1.26-alpine from Docker Hub",
		}},
		{"an unqualified user image", "FROM bitnami/nginx:1.27", []string{
			"line 1: FROM bitnami/nginx:1.27 pulls docker.io/bitnami/nginx:1.27 from Docker Hub",
		}},
		{"Docker Hub named explicitly, under every alias", "FROM docker.io/library/alpine\nFROM index.docker.io/library/alpine\nFROM registry-1.docker.io/library/alpine\nFROM Registry.Hub.Docker.com/library/alpine", []string{
			"line 1: FROM docker.io/library/alpine pulls docker.io/library/alpine from Docker Hub",
			"line 2: FROM index.docker.io/library/alpine pulls index.docker.io/library/alpine from Docker Hub",
			"line 3: FROM registry-1.docker.io/library/alpine pulls registry-1.docker.io/library/alpine from Docker Hub",
			"line 4: FROM Registry.Hub.Docker.com/library/alpine pulls Registry.Hub.Docker.com/library/alpine from Docker Hub",
		}},
		{"registry hosts: a dot, a port, localhost", "FROM ghcr.io/o/i:1\nFROM registry:5000/i\nFROM localhost/i\nFROM 123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", nil},
		{"a digest does not change the registry", "FROM nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", []string{
			"line 1: FROM nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef pulls docker.io/library/nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef from Docker Hub",
		}},
		{"flags and lowercase keywords", "from --platform=$BUILDPLATFORM golang:1 as build\nfrom build", []string{
			"line 1: FROM golang:1 pulls docker.io/library/golang:1 from Docker Hub",
		}},
		{"stage names are not images, in any case, once defined", "FROM public.ecr.aws/x/y:1 AS Build\nFROM build AS test\nFROM BUILD\nCOPY --from=Test /a /b", nil},
		{"a stage name used before it is defined is an image", "FROM later\nFROM public.ecr.aws/x/y:1 AS later", []string{
			"line 1: FROM later pulls docker.io/library/later from Docker Hub",
		}},
		{"scratch pulls nothing", "FROM scratch\nFROM SCRATCH", nil},
		{"ARG defaults before FROM", "ARG REGISTRY=public.ecr.aws/docker/library\nARG GO=1.26\nARG BASE=public.ecr.aws/docker/library/alpine:3\nFROM ${REGISTRY}/golang:$GO\nFROM $BASE", nil},
		{"an ARG default that names Docker Hub", "ARG BASE=\"nginx:1.27\"\nFROM ${BASE} AS web", []string{
			"line 2: FROM ${BASE} pulls docker.io/library/nginx:1.27 from Docker Hub",
		}},
		{"an ARG that uses another", "ARG HOST=docker.io\nARG IMAGE=${HOST}/library/alpine\nFROM $IMAGE", []string{
			"line 3: FROM $IMAGE pulls docker.io/library/alpine from Docker Hub",
		}},
		{"several ARGs on one line, quoted", "ARG A='public.ecr.aws/x' B=\"y:1\"\nFROM $A/$B", nil},
		{"an ARG inside a stage is not seen by the next FROM", "FROM public.ecr.aws/x/y:1\nARG BASE=public.ecr.aws/x/z:1\nFROM $BASE", []string{
			"line 3: FROM $BASE cannot be checked: ARG BASE has no default, so the registry depends on --build-arg",
		}},
		{"an ARG without a default", "ARG BASE\nFROM ${BASE}", []string{
			"line 2: FROM ${BASE} cannot be checked: ARG BASE has no default, so the registry depends on --build-arg",
		}},
		{"${VAR:-default}", "ARG HOST\nFROM ${HOST:-public.ecr.aws}/x/y:1\nFROM ${HOST:-docker.io}/library/alpine", []string{
			"line 3: FROM ${HOST:-docker.io}/library/alpine pulls docker.io/library/alpine from Docker Hub",
		}},
		{"an unknown tag does not hide an unqualified name", "ARG TAG\nFROM golang:${TAG}", []string{
			"line 2: FROM golang:${TAG} pulls docker.io/library/golang:${TAG} from Docker Hub",
		}},
		{"an unknown host part of a path", "FROM ${REGISTRY}/app:1", []string{
			"line 1: FROM ${REGISTRY}/app:1 cannot be checked: ARG REGISTRY has no default, so the registry depends on --build-arg",
		}},
		{"platform ARGs are predefined", "FROM public.ecr.aws/x/y:1-${TARGETARCH}", nil},
		{"COPY --from an image", "FROM scratch\nCOPY --from=busybox:1 /bin/sh /sh\nCOPY --chown=1:1 --from=public.ecr.aws/x/y:1 /a /b\nCOPY --from=0 /a /b", []string{
			"line 2: COPY --from=busybox:1 pulls docker.io/library/busybox:1 from Docker Hub",
		}},
		{"COPY --from with a stage ARG", "FROM public.ecr.aws/x/y:1 AS base\nARG TOOLS=alpine/git\nCOPY --from=${TOOLS} /git /git", []string{
			"line 3: COPY --from=${TOOLS} pulls docker.io/alpine/git from Docker Hub",
		}},
		{"RUN --mount from an image", "FROM public.ecr.aws/x/y:1 AS tools\nRUN --mount=type=bind,from=tools,source=/x,target=/x true\nRUN --mount=type=cache,target=/c --mount=from=node:22,target=/n,type=bind true", []string{
			"line 3: RUN --mount=from=node:22 pulls docker.io/library/node:22 from Docker Hub",
		}},
		{"ONBUILD COPY --from", "FROM scratch\nONBUILD COPY --from=alpine /a /b", []string{
			"line 2: COPY --from=alpine pulls docker.io/library/alpine from Docker Hub",
		}},
		{"continuation lines and comments inside them", "FROM \\\n# a comment\n  golang:1 \\\n  AS build", []string{
			"line 1: FROM golang:1 pulls docker.io/library/golang:1 from Docker Hub",
		}},
		{"the escape directive changes the continuation", "# escape=`\nFROM `\n  golang:1", []string{
			"line 2: FROM golang:1 pulls docker.io/library/golang:1 from Docker Hub",
		}},
		{"heredoc bodies are not instructions", "FROM public.ecr.aws/x/y:1\nRUN <<EOF\nFROM nginx\nEOF\nCOPY <<-'END' /etc/x\n\tFROM nginx\n\tEND\nFROM alpine", []string{
			"line 8: FROM alpine pulls docker.io/library/alpine from Docker Hub",
		}},
		{"CRLF line ends", "# syntax=docker/dockerfile:1\r\nFROM public.ecr.aws/x/y:1\r\n", []string{
			"line 1: # syntax=docker/dockerfile:1 pulls docker.io/docker/dockerfile:1 from Docker Hub",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, f := range Scan(tc.src) {
				got = append(got, f.String())
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestRegistry(t *testing.T) {
	tests := []struct{ ref, host, image string }{
		{"nginx", "docker.io", "docker.io/library/nginx"},
		{"nginx:1", "docker.io", "docker.io/library/nginx:1"},
		{"library/nginx", "docker.io", "docker.io/library/nginx"},
		{"docker.io/nginx", "docker.io", "docker.io/nginx"},
		{"public.ecr.aws/nginx/nginx", "public.ecr.aws", "public.ecr.aws/nginx/nginx"},
		{"localhost/x", "localhost", "localhost/x"},
		{"host:5000/x", "host:5000", "host:5000/x"},
		{"Upper/x", "Upper", "Upper/x"},
	}
	for _, tc := range tests {
		if host, image := Registry(tc.ref); host != tc.host || image != tc.image {
			t.Errorf("Registry(%q) = %q, %q; want %q, %q", tc.ref, host, image, tc.host, tc.image)
		}
	}
}

// TestCorpus: every file under testdata/hub has a finding and none under
// testdata/clean has one. The pipeline's in-build check runs over the same
// files (pipeline_test.go), so the two agree on them.
func TestCorpus(t *testing.T) {
	for _, dir := range []string{"hub", "clean"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.Dockerfile"))
		if len(files) < 3 {
			t.Fatalf("testdata/%s has %d Dockerfiles", dir, len(files))
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			findings := Scan(string(b))
			if (len(findings) > 0) != (dir == "hub") {
				t.Errorf("%s: findings %v", f, findings)
			}
		}
	}
}
