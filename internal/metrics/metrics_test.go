package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
)

func TestHandlerExposesRPCMetrics(t *testing.T) {
	reg := NewRegistry()
	m := NewRPC(reg)
	m.Observe("/runtime.v1.RuntimeService/Version", codes.OK, 3*time.Millisecond)
	m.Observe("/runtime.v1.ImageService/PullImage", codes.Unimplemented, time.Millisecond)

	srv := httptest.NewServer(Handler(reg))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`skiff_cri_request_duration_seconds_count{method="/runtime.v1.RuntimeService/Version"} 1`,
		`skiff_cri_request_errors_total{code="Unimplemented",method="/runtime.v1.ImageService/PullImage"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(string(body), `skiff_cri_request_errors_total{code="OK"`) {
		t.Error("/metrics counts a successful call as an error")
	}
}

func TestRuntimeMetrics(t *testing.T) {
	reg := NewRegistry()
	m := NewRuntime(reg, RuntimeGauges{ShimsAlive: func() float64 { return 3 }, EventListeners: func() float64 { return 2 }})
	done := m.PullStarted()
	m.PullStarted()
	done()
	io.Copy(io.Discard, m.CountPulled(io.NopCloser(strings.NewReader("0123456789"))))
	m.EventsDropped("behind")
	srv := httptest.NewServer(Handler(reg))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		"skiff_image_pulls_in_flight 1", "skiff_image_pulled_bytes_total 10",
		"skiff_container_events_dropped_listeners_total 1", "skiff_shims_alive 3", "skiff_container_event_listeners 2",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
