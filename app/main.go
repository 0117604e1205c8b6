// Command server is the sample application the pipeline builds and deploys:
// a tiny HTTP server that answers "/", the ALB's health check, and
// "/smoke", which the pipeline's smoke test requests after each deploy.
//
// The task definition sets PORT (the container port) and HEALTH_CHECK_PATH
// (the target group's health-check path).
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	port := getenv("PORT", "8080")
	srv := &http.Server{
		Addr:              ":" + port,
		Handler:           newHandler(getenv("HEALTH_CHECK_PATH", "/healthz"), getenv("APP_VERSION", "dev")),
		ReadHeaderTimeout: 5 * time.Second,
	}
	// ECS stops a task with SIGTERM: finish the requests in flight while the
	// ALB drains the target.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Printf("listening on :%s", port)
	select {
	case err := <-errc:
		return fmt.Errorf("serving on :%s: %w", port, err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}

// SmokePath is what the pipeline's smoke test requests besides the health
// check (cdk.json's smokeTestPaths).
const SmokePath = "/smoke"

// newHandler answers the health check, the home page and the smoke test;
// anything else is 404.
func newHandler(healthPath, version string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+healthPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	home := func() string { return fmt.Sprintf("Hello from Fargate (version %s)\n", version) }
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, home())
	})
	// The health check proves the process answers; the smoke test proves
	// what users get: the home page renders, for this version. A build that
	// breaks the page fails the smoke test, and is never released.
	mux.HandleFunc("GET "+SmokePath, func(w http.ResponseWriter, r *http.Request) {
		want := fmt.Sprintf("(version %s)", version)
		if page := home(); !strings.Contains(page, want) {
			http.Error(w, fmt.Sprintf("smoke: the home page is %q, want it to name %q", page, want), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "smoke ok: version %s\n", version)
	})
	return mux
}

func getenv(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
