package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(newHandler("/healthz", "abc1234"))
	defer srv.Close()
	tests := []struct {
		method, path string
		code         int
		body         string
	}{
		{"GET", "/", 200, "Hello from Fargate (version abc1234)"},
		{"GET", "/healthz", 200, "ok"},
		{"GET", "/smoke", 200, "smoke ok: version abc1234"},
		{"HEAD", "/healthz", 200, ""},
		{"GET", "/nope", 404, ""},
		{"POST", "/", 405, ""},
	}
	for _, tc := range tests {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code || !strings.Contains(string(b), tc.body) {
			t.Errorf("%s %s: %d %q, want %d containing %q", tc.method, tc.path, resp.StatusCode, b, tc.code, tc.body)
		}
	}
}

func TestHealthPathIsConfigurable(t *testing.T) {
	h := newHandler("/status/ready", "dev")
	for path, want := range map[string]int{"/status/ready": 200, "/healthz": 404, "/": 200} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != want {
			t.Errorf("GET %s: %d, want %d", path, rec.Code, want)
		}
	}
}
