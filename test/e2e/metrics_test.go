//go:build e2e

package e2e

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestMetricsEndpoint(t *testing.T) {
	addr := freeLoopbackAddr(t)
	d := startDaemon(t, "--metrics-addr", addr)
	if _, err := d.runtime.Version(ctxT(t), &runtime.VersionRequest{}); err != nil {
		t.Fatal(err)
	}
	d.runtime.ContainerStats(ctxT(t), &runtime.ContainerStatsRequest{ContainerId: "abc"})

	body := httpGet(t, "http://"+addr+"/metrics")
	for _, want := range []string{
		`skiff_cri_request_duration_seconds_bucket{method="/runtime.v1.RuntimeService/Version",le=`,
		`skiff_cri_request_errors_total{code="Unimplemented",method="/runtime.v1.RuntimeService/ContainerStats"} 1`,
		`process_resident_memory_bytes`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if !strings.Contains(httpGet(t, "http://"+addr+"/debug/pprof/"), "goroutine") {
		t.Error("/debug/pprof/ does not list profiles")
	}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", url, resp.Status, err)
	}
	return string(b)
}

// freeLoopbackAddr returns a loopback address whose port was free a moment ago.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
