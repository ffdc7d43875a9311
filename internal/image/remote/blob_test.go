package remote

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/testutil/testimage"
)

// TestCorruptLayer serves a layer wrong in several ways; OpenLayer or its
// reader must fail, never return io.EOF.
func TestCorruptLayer(t *testing.T) {
	reg := startRegistry(t, busyboxRef)
	want := hostImage(t, busyboxRef)
	m, _ := want.Manifest()
	layer := m.Layers[0].Digest.String()
	tests := []struct {
		name    string
		edit    func(w http.ResponseWriter, code int, body []byte)
		openErr error // class of OpenLayer's error, nil if it succeeds
		readErr error // class of the reader's error
		message string
	}{
		{"flipped byte", flipByte, nil, ErrDigestMismatch, "got content with digest sha256:"},
		{"short Content-Length", func(w http.ResponseWriter, code int, body []byte) {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)-1))
			w.WriteHeader(code)
			_, _ = w.Write(body[:len(body)-1])
		}, ErrDigestMismatch, nil, "Content-Length"},
		{"short chunked body", func(w http.ResponseWriter, code int, body []byte) {
			w.WriteHeader(code)
			w.(http.Flusher).Flush()
			_, _ = w.Write(body[:len(body)-1])
		}, nil, ErrDigestMismatch, "got " + strconv.FormatInt(m.Layers[0].Size-1, 10) + " bytes"},
		{"long chunked body", func(w http.ResponseWriter, code int, body []byte) {
			w.WriteHeader(code)
			w.(http.Flusher).Flush()
			_, _ = w.Write(append(bytes.Clone(body), 'x'))
		}, nil, ErrDigestMismatch, "more than"},
		{"connection cut", func(w http.ResponseWriter, code int, body []byte) {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(code)
			_, _ = w.Write(body[:len(body)/2])
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}, nil, errdefs.ErrUnavailable, "unexpected EOF"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bad := front(t, reg.Addr(), rewrite("/blobs/"+layer, tc.edit), frontOpts{})
			r, _ := newResolver(t, Config{Mirrors: mirrorsOf("http://" + hostOf(bad))}, hubClosed(t))
			ctx := context.Background()
			img, err := r.Resolve(ctx, mustRef(t, busyboxRef), nil)
			if err != nil {
				t.Fatal(err)
			}
			l := img.Layers[0]
			rc, err := r.OpenLayer(ctx, img, l)
			if tc.openErr != nil {
				checkErr(t, err, tc.openErr, tc.message)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			var buf bytes.Buffer
			_, err = buf.ReadFrom(rc)
			checkErr(t, err, tc.readErr, tc.message)
			if errors.Is(tc.readErr, ErrDigestMismatch) && !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Errorf("%v is not of class InvalidArgument", err)
			}
			if _, again := rc.Read(make([]byte, 1)); again == nil || again.Error() != err.Error() {
				t.Errorf("read after failure: %v, want the same error", again)
			}
		})
	}
}

func checkErr(t *testing.T, err, class error, message string) {
	t.Helper()
	if !errors.Is(err, class) || !strings.Contains(err.Error(), message) {
		t.Fatalf("error %v, want %v with %q", err, class, message)
	}
	t.Log(err)
}

// TestCorruptMetadata: a manifest or config that does not match its
// digest fails that endpoint.
func TestCorruptMetadata(t *testing.T) {
	reg := startRegistry(t, testimage.MultiArchRef)
	index := refDigest(t, testimage.MultiArchRef)
	img := hostImage(t, testimage.MultiArchRef)
	manifest, _ := img.Digest()
	config, _ := img.ConfigName()
	tests := []struct {
		name, ref, suffix string
	}{
		{"index fetched by digest", "docker.io/library/busybox@" + index, "/manifests/" + index},
		{"platform manifest", testimage.MultiArchRef, "/manifests/" + manifest.String()},
		{"config", testimage.MultiArchRef, "/blobs/" + config.String()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bad := front(t, reg.Addr(), rewrite(tc.suffix, flipByte), frontOpts{})
			r, _ := newResolver(t, Config{Mirrors: mirrorsOf("http://" + hostOf(bad))}, hubClosed(t))
			_, err := r.Resolve(context.Background(), mustRef(t, tc.ref), nil)
			var re *ResolveError
			if !errors.As(err, &re) || !errors.Is(re.Attempts[0].Err, ErrDigestMismatch) {
				t.Fatalf("error %v, want a digest mismatch at the mirror", err)
			}
			if !errors.Is(err, errdefs.ErrUnavailable) {
				t.Errorf("class of %v", err)
			}
			t.Log(err)
		})
	}
}

func TestProgressTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	reg := startRegistry(t, busyboxRef)
	m, _ := hostImage(t, busyboxRef).Manifest()
	layer := m.Layers[0].Digest.String()
	ctx := context.Background()

	t.Run("stalled layer body", func(t *testing.T) {
		slow := front(t, reg.Addr(), stall("/blobs/"+layer, 1000), frontOpts{})
		r, _ := newResolver(t, Config{Mirrors: mirrorsOf("http://" + hostOf(slow)), ProgressTimeout: timeout}, hubClosed(t))
		img, err := r.Resolve(ctx, mustRef(t, busyboxRef), nil)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = readLayer(ctx, r, img, img.Layers[0])
		checkErr(t, err, ErrNoProgress, "no progress for 300ms fetching "+layer+" from http://"+hostOf(slow))
		if !errors.Is(err, errdefs.ErrUnavailable) {
			t.Errorf("class of %v", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("took %v", d)
		}
	})
	t.Run("stalled manifest headers: next mirror", func(t *testing.T) {
		slow := front(t, reg.Addr(), stall("/manifests/latest", -1), frontOpts{})
		cfg := Config{Mirrors: mirrorsOf("http://"+hostOf(slow), "http://"+reg.Addr()), ProgressTimeout: timeout}
		r, _ := newResolver(t, cfg, hubClosed(t))
		img, err := r.Resolve(ctx, mustRef(t, busyboxRef), nil)
		if err != nil {
			t.Fatal(err)
		}
		if img.Endpoint != "http://"+reg.Addr() {
			t.Errorf("endpoint %s", img.Endpoint)
		}
	})
	t.Run("stalled ping", func(t *testing.T) {
		slow := front(t, reg.Addr(), stall("/v2/", -1), frontOpts{})
		r, _ := newResolver(t, Config{Mirrors: mirrorsOf("http://" + hostOf(slow)), ProgressTimeout: timeout}, hubClosed(t))
		_, err := r.Resolve(ctx, mustRef(t, busyboxRef), nil)
		checkErr(t, err, errdefs.ErrUnavailable, "no progress for 300ms fetching /v2/ from http://"+hostOf(slow))
	})
	t.Run("slow reader is no stall", func(t *testing.T) {
		r, _ := newResolver(t, Config{Mirrors: mirrorsOf("http://" + reg.Addr()), ProgressTimeout: timeout}, hubClosed(t))
		img, err := r.Resolve(ctx, mustRef(t, busyboxRef), nil)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := r.OpenLayer(ctx, img, img.Layers[0])
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		if _, err := rc.Read(make([]byte, 10)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * timeout)
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(rc); err != nil {
			t.Fatal(err)
		}
	})
}

// TestKeepAlive: a pull reuses one connection for the ping, manifest,
// config and every layer read in turn.
func TestKeepAlive(t *testing.T) {
	reg := startRegistry(t, testimage.LayeredRef)
	var conns atomic.Int32
	counted := front(t, reg.Addr(), nil, frontOpts{newConn: &conns})
	r, _ := newResolver(t, Config{Mirrors: mirrorsOf("http://" + hostOf(counted)), ProgressTimeout: time.Minute}, hubClosed(t))
	ctx := context.Background()
	img, err := r.Resolve(ctx, mustRef(t, testimage.LayeredRef), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range img.Layers {
		if _, err := readLayer(ctx, r, img, l); err != nil {
			t.Fatal(err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for %d layers, want 1", n, len(img.Layers))
	}
}

// TestParallel resolves twice and reads every layer at once.
func TestParallel(t *testing.T) {
	reg := startRegistry(t, testimage.LayeredRef, testimage.MultiArchRef)
	r, _ := newResolver(t, Config{Mirrors: mirrorsOf("http://" + reg.Addr()), ProgressTimeout: time.Minute}, hubClosed(t))
	ctx := context.Background()
	var wg sync.WaitGroup
	for _, ref := range []string{testimage.LayeredRef, testimage.MultiArchRef} {
		want := hostImage(t, ref)
		wg.Go(func() {
			img, err := r.Resolve(ctx, mustRef(t, ref), nil)
			if err != nil {
				t.Error(err)
				return
			}
			for _, l := range img.Layers {
				wg.Go(func() {
					got, err := readLayer(ctx, r, img, l)
					if err != nil {
						t.Error(err)
					} else if !bytes.Equal(got, compressed(t, want, l.Digest.String())) {
						t.Errorf("%s: content differs", l.Digest)
					}
				})
			}
		})
	}
	wg.Wait()
}

func TestOpenLayerArguments(t *testing.T) {
	r := New(Config{})
	valid := Layer{Digest: digest.Digest("sha256:" + strings.Repeat("a", 64)), Size: 1}
	tests := []struct {
		name string
		img  *Image
		l    Layer
	}{
		{"nil image", nil, valid},
		{"image not from Resolve", &Image{}, valid},
		{"bad digest", &Image{src: &source{}}, Layer{Digest: "sha256:xyz"}},
		{"negative size", &Image{src: &source{}}, Layer{Digest: valid.Digest, Size: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := r.OpenLayer(context.Background(), tc.img, tc.l); !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Errorf("error %v, want InvalidArgument", err)
			}
		})
	}
}
