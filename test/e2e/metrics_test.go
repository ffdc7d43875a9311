//go:build e2e

package e2e

import (
	"io"
	"net"
	"net/http"
	"regexp"
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
		`skiff_cri_request_errors_total{code="NotFound",method="/runtime.v1.RuntimeService/ContainerStats"} 1`,
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

// TestRuntimeMetrics checks the metrics of the runtime itself: bytes
// pulled, live shims, event listeners.
func TestRuntimeMetrics(t *testing.T) {
	reg := startRegistry(t)
	addr := freeLoopbackAddr(t)
	d := startDaemon(t, append(mirrorArgs(reg), "--metrics-addr", addr)...)
	d.pull(t, "busybox")
	cfg := podConfig(t, "metrics")
	pod := d.runPod(t, cfg)
	defer d.removePod(t, pod)
	d.runContainer(t, pod, cfg, "c", "exec sleep 1000")
	events, err := d.runtime.GetContainerEvents(ctxT(t), &runtime.GetEventsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	_ = events
	waitFor(t, "the events listener to be counted", func() bool {
		return strings.Contains(httpGet(t, "http://"+addr+"/metrics"), "skiff_container_event_listeners 1")
	})
	body := httpGet(t, "http://"+addr+"/metrics")
	for _, want := range []string{
		"skiff_shims_alive 1", // c's: the pause container has none
		"skiff_image_pulls_in_flight 0",
		"skiff_container_events_dropped_listeners_total 0",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if m := regexp.MustCompile(`skiff_image_pulled_bytes_total (\S+)`).FindStringSubmatch(body); m == nil || m[1] == "0" {
		t.Errorf("bytes pulled: %v", m)
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
