package prober

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/controlplane/agent/state"
)

func TestCounter(t *testing.T) {
	tests := []struct {
		name             string
		initial          Result
		success, failure int32
		outcomes         string // s: success, f: failure
		want             string // the result after each outcome
	}{
		{"liveness fails after 3", Success, 1, 3, "fffsfff", "SSFSSSF"},
		{"readiness needs 2 successes", Failure, 2, 1, "ssfss", "FSFFS"},
		{"startup: unknown until decided", Unknown, 1, 2, "ffs", "?FS"},
		{"startup passes at once", Unknown, 1, 3, "fs", "?S"},
	}
	letter := map[Result]byte{Unknown: '?', Success: 'S', Failure: 'F'}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCounter(tt.initial, tt.success, tt.failure)
			var got []byte
			for _, o := range tt.outcomes {
				c.observe(o == 's')
				got = append(got, letter[c.result])
			}
			if string(got) != tt.want {
				t.Errorf("results %s, want %s", got, tt.want)
			}
		})
	}
}

// fakeExec answers ExecSync with the exit code of its function.
type fakeExec struct {
	mu    sync.Mutex
	calls int
	exit  func(cmd []string) int32
}

func (f *fakeExec) ExecSync(_ context.Context, in *runtimeapi.ExecSyncRequest, _ ...grpc.CallOption) (*runtimeapi.ExecSyncResponse, error) {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	return &runtimeapi.ExecSyncResponse{ExitCode: f.exit(in.Cmd), Stderr: []byte("nope")}, nil
}

func hostPort(t *testing.T, u string) (string, int) {
	h, p, err := net.SplitHostPort(strings.TrimPrefix(u, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return h, n
}

func TestActions(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			if r.UserAgent() != userAgent || r.Host != "example.com" || r.URL.RawQuery != "a=1" || r.Header.Get("X-Probe") != "yes" {
				w.WriteHeader(http.StatusTeapot)
			}
		case "/away":
			http.Redirect(w, r, "http://elsewhere.invalid/", http.StatusFound)
		default:
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	host, port := hostPort(t, srv.URL)
	target := Target{PodIP: host, Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: int32(port)}},
		Exec: &fakeExec{exit: func(cmd []string) int32 {
			return map[string]int32{"true": 0}[cmd[0]] + map[string]int32{"false": 1}[cmd[0]]
		}}}
	named := intstr.FromString("http")
	closed := func() int {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		return p
	}()
	tests := []struct {
		name    string
		probe   corev1.ProbeHandler
		wantErr string
	}{
		{"http ok with named port, headers, host and query", corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ok?a=1", Port: named,
			HTTPHeaders: []corev1.HTTPHeader{{Name: "Host", Value: "example.com"}, {Name: "X-Probe", Value: "yes"}}}}, ""},
		{"http 500", corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/bad", Port: intstr.FromInt32(int32(port))}}, "statuscode: 500"},
		{"redirect to another host succeeds", corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/away", Port: named}}, ""},
		{"unknown named port", corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromString("grpc")}}, `couldn't find port "grpc"`},
		{"tcp open", corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(int32(port))}}, ""},
		{"tcp closed", corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(int32(closed))}}, "connection refused"},
		{"exec ok", corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}, ""},
		{"exec fails", corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"false"}}}, "exited with 1: nope"},
		{"no action", corev1.ProbeHandler{}, "no exec"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), &corev1.Probe{ProbeHandler: tt.probe, TimeoutSeconds: 2}, target)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestManager runs real workers with one-second periods: a liveness probe
// that starts failing, a readiness probe that passes, both waiting for a
// startup probe.
func TestManager(t *testing.T) {
	var mu sync.Mutex
	healthy := true
	exec := &fakeExec{exit: func(cmd []string) int32 {
		mu.Lock()
		defer mu.Unlock()
		if cmd[0] == "live" && !healthy {
			return 1
		}
		return 0
	}}
	changes := make(chan types.UID, 10)
	m := NewManager(exec, nil, func(uid types.UID) { changes <- uid })
	probe := func(cmd string, failures int32) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{cmd}}}, PeriodSeconds: 1, FailureThreshold: failures}
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{UID: "u", Name: "p", Namespace: "ns"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{
		Name: "c", LivenessProbe: probe("live", 1), ReadinessProbe: probe("ready", 1), StartupProbe: probe("start", 3),
	}}}}
	ctr := &state.Container{ID: "cid", State: state.Running, StartedAt: time.Now()}
	ctr.Name = "c"
	st := &state.Pod{Sandboxes: []*state.Sandbox{{ID: "sb", Ready: true, IPs: []string{"10.0.0.1"}}}, Containers: []*state.Container{ctr}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m.UpdatePod(ctx, pod, st)
	defer m.RemovePod("u")
	if m.Ready("cid") || m.LivenessFailed("cid") || m.Started("cid") {
		t.Fatal("initial results: not ready, alive, not started")
	}
	waitFor(t, changes, func() bool { return m.Started("cid") && m.Ready("cid") })
	mu.Lock()
	healthy = false
	mu.Unlock()
	waitFor(t, changes, func() bool { return m.LivenessFailed("cid") })

	// A new container replaces the failed one: its results start afresh.
	ctr2 := *ctr
	ctr2.ID = "cid2"
	st.Containers = []*state.Container{&ctr2}
	m.UpdatePod(ctx, pod, st)
	if m.LivenessFailed("cid2") || m.Started("cid2") {
		t.Error("the new container inherited results")
	}
}

func waitFor(t *testing.T, changes <-chan types.UID, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case <-changes:
		case <-deadline:
			t.Fatal("condition not reached in 10s")
		}
	}
}
