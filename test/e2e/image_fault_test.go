//go:build e2e

package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/testutil/testimage"
	"github.com/skiffrt/skiff/internal/testutil/testregistry"
)

// isLayerGet reports whether r fetches a blob other than a small config:
// the test images' layers are the only blobs over a few KiB.
func isBlobGet(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/sha256:")
}

// stall is middleware that sends half of every large blob, then holds the
// connection until release is closed; after that it passes blobs through.
type stall struct {
	once    sync.Once
	stalled chan struct{} // closed when the first blob has stalled
	release chan struct{}
}

func newStall() *stall { return &stall{stalled: make(chan struct{}), release: make(chan struct{})} }

func (s *stall) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isBlobGet(r) || s.released() {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if len(body) < 64<<10 {
			copyResponse(w, rec, body)
			return
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		s.once.Do(func() { close(s.stalled) })
		select {
		case <-s.release:
		case <-r.Context().Done():
		}
	})
}

func (s *stall) released() bool {
	select {
	case <-s.release:
		return true
	default:
		return false
	}
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder, body []byte) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(body)
}

// corrupt is middleware that flips one byte in the middle of every large
// blob, keeping its length.
func corrupt(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isBlobGet(r) {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if len(body) >= 64<<10 {
			body[len(body)/2] ^= 0xff
		}
		copyResponse(w, rec, body)
	})
}

// basicAuth is middleware that, once armed (after the test's own pushes),
// wants user "skiff" with password "s3cret".
type basicAuth struct{ armed atomic.Bool }

func (a *basicAuth) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !a.armed.Load() || ok && u == "skiff" && p == "s3cret" {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="skiff-test"`)
		http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
	})
}

// assertStoreEmpty checks that the image store holds no image, layer or
// temporary file.
func assertStoreEmpty(t *testing.T, d *daemon) {
	t.Helper()
	if imgs := d.listImages(t); len(imgs) != 0 {
		t.Errorf("images recorded: %v", imgs)
	}
	for _, sub := range []string{"layers", "tmp"} {
		if left := d.dirEntries(t, sub); len(left) != 0 {
			t.Errorf("%s/ holds %v", sub, left)
		}
	}
}

func TestImagesSurviveRestart(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	d.pull(t, "busybox")
	d.pull(t, testimage.LayeredRef)
	before := d.listImages(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		d.signal(sig, 15*time.Second)
		d = startDaemonIn(t, d.dir, daemonArgs, mirrorArgs(reg)...)
		if after := d.listImages(t); !reflect.DeepEqual(after, before) {
			t.Errorf("after %v and restart: images %v, want %v", sig, after, before)
		}
	}
	checkLayeredOverlay(t, d)
}

func TestKillDuringPullLeavesNothing(t *testing.T) {
	st := newStall()
	reg := startRegistry(t, testregistry.WithMiddleware(st.wrap))
	d := startDaemon(t, mirrorArgs(reg)...)
	go d.images.PullImage(context.Background(), &runtime.PullImageRequest{Image: &runtime.ImageSpec{Image: testimage.LayeredRef}})
	select {
	case <-st.stalled:
	case <-time.After(30 * time.Second):
		t.Fatal("the pull never reached a layer")
	}
	if len(d.dirEntries(t, "tmp")) == 0 {
		t.Fatal("no layer being unpacked in tmp/: the test kills nothing half done")
	}
	d.signal(syscall.SIGKILL, 5*time.Second)
	close(st.release)

	d = startDaemonIn(t, d.dir, daemonArgs, mirrorArgs(reg)...)
	assertStoreEmpty(t, d)
	d.pull(t, testimage.LayeredRef)
	checkLayeredOverlay(t, d)
}

func TestCorruptBlobFailsPull(t *testing.T) {
	reg := startRegistry(t, testregistry.WithMiddleware(corrupt))
	d := startDaemon(t, mirrorArgs(reg)...)
	_, err := d.images.PullImage(ctxT(t), &runtime.PullImageRequest{Image: &runtime.ImageSpec{Image: "busybox"}})
	if err == nil {
		t.Fatal("pull of a corrupt blob succeeded")
	}
	if !strings.Contains(err.Error(), "digest") {
		t.Errorf("error %q does not say the digest did not match", err)
	}
	assertStoreEmpty(t, d)
}

func TestPullWithBasicAuth(t *testing.T) {
	var auth basicAuth
	reg := startRegistry(t, testregistry.WithMiddleware(auth.wrap))
	auth.armed.Store(true)
	d := startDaemon(t)
	ref := reg.Addr() + "/library/busybox:latest"
	tests := []struct {
		name string
		auth *runtime.AuthConfig
		ok   bool
	}{
		{"anonymous", nil, false},
		{"wrong password", &runtime.AuthConfig{Username: "skiff", Password: "nope"}, false},
		{"username and password", &runtime.AuthConfig{Username: "skiff", Password: "s3cret"}, true},
		{"auth field", &runtime.AuthConfig{Auth: "c2tpZmY6czNjcmV0"}, true}, // base64("skiff:s3cret")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := d.images.PullImage(ctxT(t), &runtime.PullImageRequest{Image: &runtime.ImageSpec{Image: ref}, Auth: tt.auth})
			if tt.ok {
				if err != nil {
					t.Fatalf("PullImage: %v", err)
				}
				d.removeImage(t, ref)
				return
			}
			c := status.Code(err)
			if c != codes.Unauthenticated && c != codes.PermissionDenied || !strings.Contains(err.Error(), reg.Addr()) {
				t.Errorf("PullImage = %v; want Unauthenticated naming %s", err, reg.Addr())
			}
		})
	}
}

func TestPullWithoutProgressFails(t *testing.T) {
	st := newStall()
	reg := startRegistry(t, testregistry.WithMiddleware(st.wrap))
	t.Cleanup(func() { close(st.release) })
	dir := t.TempDir()
	writeConfig(t, dir, "[registry]\npull_progress_timeout = \"2s\"\n")
	d := startDaemonIn(t, dir, daemonArgs, mirrorArgs(reg)...)
	start := time.Now()
	_, err := d.images.PullImage(ctxT(t), &runtime.PullImageRequest{Image: &runtime.ImageSpec{Image: "busybox"}})
	if err == nil || !strings.Contains(err.Error(), "progress") {
		t.Fatalf("PullImage from a stalled registry = %v; want a no-progress error", err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the stalled pull took %s to fail with a 2s progress timeout", took)
	}
	assertStoreEmpty(t, d)
}

func TestPullHonoursDeadline(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	_, err := d.images.PullImage(ctx, &runtime.PullImageRequest{Image: &runtime.ImageSpec{Image: "busybox"}})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("PullImage with a 1ms deadline = %v, want DeadlineExceeded", err)
	}
}
