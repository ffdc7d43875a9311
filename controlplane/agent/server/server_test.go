package server

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/controlplane/agent/fakecri"
	"github.com/skiffrt/skiff/controlplane/agent/podspec"
	"github.com/skiffrt/skiff/controlplane/pki"
)

type pods map[string]*corev1.Pod

func (p pods) Lookup(ns, name string) (*corev1.Pod, bool) { pod, ok := p[ns+"/"+name]; return pod, ok }

// fixture is a Server over a fake runtime with one pod whose container
// ran twice, and clients with certificates of the cluster CA.
type fixture struct {
	t                *testing.T
	srv              *Server
	cri              *fakecri.Runtime
	apiserver, other *http.Client
	anonymous        *http.Client
	base             string
}

const criLog = `2026-01-01T00:00:01.000000000Z stdout F one
2026-01-01T00:00:02.000000000Z stderr F two
2026-01-01T00:00:03.000000000Z stdout P thr
2026-01-01T00:00:03.000000001Z stdout F ee
`

func newFixture(t *testing.T) *fixture {
	dir := t.TempDir()
	ca, err := pki.LoadOrCreateCA(filepath.Join(dir, "ca"))
	if err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "u1"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
	cri := fakecri.New("busybox")
	ctx := context.Background()
	sb, err := cri.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: &runtimeapi.PodSandboxConfig{
		Metadata: &runtimeapi.PodSandboxMetadata{Name: "web", Namespace: "ns", Uid: "u1"}, LogDirectory: dir,
		Labels: map[string]string{podspec.LabelPodUID: "u1"}}})
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range []string{"2026-01-01T00:00:00Z stdout F previous run\n", criLog} {
		cfg, _ := podspec.Container(pod, &pod.Spec.Containers[0], podspec.ContainerOptions{RestartCount: i, Image: "busybox"})
		if err := os.MkdirAll(filepath.Join(dir, "c"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, cfg.LogPath), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := cri.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: sb.PodSandboxId, Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		cri.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: c.ContainerId})
		if i == 0 {
			cri.Exit("c", 1)
		}
	}
	srv, err := New(Config{Listen: "127.0.0.1:0", ClientCA: ca.Pool(), ClientNames: []string{"kube-apiserver-kubelet-client"},
		Dir: filepath.Join(dir, "pki"), Hosts: []string{"127.0.0.1"}, Pods: pods{"ns/web": pod}, Runtime: cri})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	client := func(name string) *http.Client {
		tc := &tls.Config{InsecureSkipVerify: true} //nolint:gosec // a test of a self-signed server
		if name != "" {
			cert, err := ca.Client(dir, name, name, nil)
			if err != nil {
				t.Fatal(err)
			}
			tc.Certificates = []tls.Certificate{cert}
		}
		return &http.Client{Transport: &http.Transport{TLSClientConfig: tc}, Timeout: 10 * time.Second}
	}
	return &fixture{t: t, srv: srv, cri: cri, base: "https://" + srv.Addr(),
		apiserver: client("kube-apiserver-kubelet-client"), other: client("alice"), anonymous: client("")}
}

func (f *fixture) get(c *http.Client, path string) (int, string) {
	f.t.Helper()
	resp, err := c.Get(f.base + path)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAuth(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		client *http.Client
		path   string
		code   int
	}{
		{f.anonymous, "/healthz", 200},
		{f.anonymous, "/containerLogs/ns/web/c", 401},
		{f.other, "/containerLogs/ns/web/c", 403},
		{f.apiserver, "/containerLogs/ns/web/c", 200},
	} {
		if code, body := f.get(tt.client, tt.path); code != tt.code {
			t.Errorf("%s: %d %q, want %d", tt.path, code, body, tt.code)
		}
	}
}

func TestContainerLogs(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		query, want string
		code        int
	}{
		{"", "one\ntwo\nthree\n", 200},
		{"?tailLines=3", "two\nthree\n", 200}, // physical lines, as kubelet counts
		{"?timestamps=true&tailLines=3", "2026-01-01T00:00:02.000000000Z two\n2026-01-01T00:00:03.000000000Z three\n", 200},
		{"?limitBytes=6", "one\ntw", 200},
		{"?sinceTime=2026-01-01T00:00:02Z", "two\nthree\n", 200},
		{"?previous=true", "previous run\n", 200},
		{"?tailLines=x", "invalid log options: tailLines", 400},
		{"?sinceSeconds=1&sinceTime=2026-01-01T00:00:02Z", "at most one of sinceTime or sinceSeconds", 400},
	} {
		code, body := f.get(f.apiserver, "/containerLogs/ns/web/c"+tt.query)
		if code != tt.code || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d %q, want %d %q", tt.query, code, body, tt.code, tt.want)
		}
	}
	if code, body := f.get(f.apiserver, "/containerLogs/ns/nope/c"); code != 404 || !strings.Contains(body, "not found on this node") {
		t.Errorf("unknown pod: %d %q", code, body)
	}
	if code, body := f.get(f.apiserver, "/containerLogs/ns/web/other"); code != 400 || !strings.Contains(body, "waiting to start") {
		t.Errorf("unknown container: %d %q", code, body)
	}
}

func TestStreams(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		path, want string
		code       int
	}{
		{"/exec/ns/web/c?command=ls&stdout=1", "no streaming", 501},
		{"/exec/ns/web/c?stdout=1", "missing command", 400},
		{"/exec/ns/web/c?command=ls", "at least one of stdin, stdout, stderr", 400},
		{"/attach/ns/web/c?stdout=true", "no streaming", 501},
		{"/portForward/ns/web?port=0", "invalid port", 400},
		{"/portForward/ns/web?port=80", "no streaming", 501},
	} {
		if code, body := f.get(f.apiserver, tt.path); code != tt.code || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d %q, want %d %q", tt.path, code, body, tt.code, tt.want)
		}
	}

	// With a streaming server the request is proxied to the runtime's
	// URL; a plain GET (no upgrade) is refused there.
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("a request that is no upgrade reached the streaming server: %s", r.URL)
	}))
	defer upstream.Close()
	u, _ := url.Parse(upstream.URL)
	u.Path = "/exec/token"
	f.cri.StreamURL = u.String()
	if code, body := f.get(f.apiserver, "/exec/ns/web/c?command=ls&stdout=1"); code == http.StatusOK || !strings.Contains(body, "pgrade") {
		t.Errorf("exec without an upgrade: %d %q", code, body)
	}
}
