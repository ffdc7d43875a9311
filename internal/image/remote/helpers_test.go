package remote

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distribution/reference"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/skiffrt/skiff/internal/testutil/testimage"
	"github.com/skiffrt/skiff/internal/testutil/testregistry"
)

const busyboxRef = "docker.io/library/busybox:latest"

// testImages returns the test image set, built once per test binary.
func testImages(t *testing.T) []testimage.Image { return testimage.ForTest(t) }

func findImage(t *testing.T, ref string) testimage.Image {
	t.Helper()
	img, err := testimage.Find(testImages(t), ref)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// refDigest is the digest of what ref names (index or manifest).
func refDigest(t *testing.T, ref string) string {
	t.Helper()
	d, err := findImage(t, ref).Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// platformImage returns ref's image for platform p (ref may be an index).
func platformImage(t *testing.T, ref string, p v1.Platform) v1.Image {
	t.Helper()
	img := findImage(t, ref)
	if img.Index == nil {
		return img.Img
	}
	im, err := img.Index.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range im.Manifests {
		if d.Platform != nil && d.Platform.OS == p.OS && d.Platform.Architecture == p.Architecture {
			child, err := img.Index.Image(d.Digest)
			if err != nil {
				t.Fatal(err)
			}
			return child
		}
	}
	t.Fatalf("%s has no %s", ref, platformString(p))
	return nil
}

func hostImage(t *testing.T, ref string) v1.Image {
	return platformImage(t, ref, v1.Platform{OS: "linux", Architecture: runtime.GOARCH})
}

// startRegistry serves refs from an in-memory registry on 127.0.0.1.
func startRegistry(t *testing.T, refs ...string) *testregistry.Registry {
	t.Helper()
	var imgs []testimage.Image
	for _, ref := range refs {
		imgs = append(imgs, findImage(t, ref))
	}
	reg, err := testregistry.Start(context.Background(), "127.0.0.1:0", imgs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	return reg
}

type frontOpts struct {
	tls     bool
	newConn *atomic.Int32 // counts connections opened to the front
}

// front serves the registry at upstream through mw (nil: unchanged) on a
// new loopback server, plain HTTP or TLS with httptest's own certificate.
func front(t *testing.T, upstream string, mw func(http.Handler) http.Handler, o frontOpts) *httptest.Server {
	t.Helper()
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: upstream})
	proxy.FlushInterval = -1
	proxy.ErrorLog = log.New(io.Discard, "", 0)
	var h http.Handler = proxy
	if mw != nil {
		h = mw(h)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if o.newConn != nil {
		srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				o.newConn.Add(1)
			}
		}
	}
	if o.tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv
}

func hostOf(srv *httptest.Server) string { return srv.Listener.Addr().String() }

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// dialLog records the addresses a test Resolver dialed, before mapping.
type dialLog struct {
	mu    sync.Mutex
	addrs []string
}

func (d *dialLog) add(addr string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.addrs = append(d.addrs, addr)
}

func (d *dialLog) has(addr string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, a := range d.addrs {
		if a == addr {
			return true
		}
	}
	return false
}

// newResolver returns a Resolver for cfg whose dials go to hosts[addr]
// when mapped and fail for any non-loopback address: tests never leave
// the machine. Proxies from the environment are ignored.
func newResolver(t *testing.T, cfg Config, hosts map[string]string) (*Resolver, *dialLog) {
	t.Helper()
	r := New(cfg)
	dl := &dialLog{}
	d := &net.Dialer{Timeout: 5 * time.Second}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		dl.add(addr)
		if to, ok := hosts[addr]; ok {
			addr = to
		}
		if h, _, _ := net.SplitHostPort(addr); !isLoopback(h) {
			return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("test: dial %s blocked", addr)}
		}
		return d.DialContext(ctx, network, addr)
	}
	for _, tr := range []*http.Transport{r.secure, r.unverified} {
		tr.DialContext = dial
		tr.Proxy = nil
	}
	t.Cleanup(r.Close)
	return r, dl
}

// hubClosed maps Docker Hub's API host to a closed port, so that a
// fallback to docker.io fails fast with "connection refused".
func hubClosed(t *testing.T) map[string]string {
	return map[string]string{dockerHubAPI + ":443": closedAddr(t)}
}

func mirrorsOf(urls ...string) map[string][]string {
	return map[string][]string{"docker.io": urls}
}

func mustRef(t *testing.T, s string) reference.Named {
	t.Helper()
	ref, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// readLayer reads a layer through OpenLayer.
func readLayer(ctx context.Context, r *Resolver, img *Image, l Layer) ([]byte, error) {
	rc, err := r.OpenLayer(ctx, img, l)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// compressed returns the blob of layer digest d of img.
func compressed(t *testing.T, img v1.Image, d string) []byte {
	t.Helper()
	h, err := v1.NewHash(d)
	if err != nil {
		t.Fatal(err)
	}
	l, err := img.LayerByDigest(h)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := l.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Middlewares for fronts.

type middleware = func(http.Handler) http.Handler

// onPath applies h to requests whose path ends with suffix and passes the
// others to next.
func onPath(suffix string, h func(next http.Handler, w http.ResponseWriter, r *http.Request)) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, suffix) {
				h(next, w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// rewrite fetches the upstream response and lets edit write it.
func rewrite(suffix string, edit func(w http.ResponseWriter, code int, body []byte)) middleware {
	return onPath(suffix, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		edit(w, rec.Code, rec.Body.Bytes())
	})
}

func flipByte(w http.ResponseWriter, code int, body []byte) {
	body = bytes.Clone(body)
	body[len(body)/2] ^= 0xff
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// status answers every request with code.
func status(code int) middleware {
	return func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, http.StatusText(code), code)
		})
	}
}

// stall answers requests to suffix with the first n bytes of the upstream
// body (all of its headers) and then nothing until the client goes away.
// n < 0 stalls before the headers. It gives up after 10s.
func stall(suffix string, n int) middleware {
	return onPath(suffix, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
		if n >= 0 {
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes()[:n])
			w.(http.Flusher).Flush()
		}
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
}

// basicAuth requires HTTP basic credentials.
func basicAuth(user, pass string) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
				w.Header().Set("WWW-Authenticate", `Basic realm="skiff-test"`)
				unauthorized(w)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func unauthorized(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
}

// bearerServer is a registry's token flow: GET /token with basic
// credentials or POST /token with an OAuth2 refresh token issues a token;
// every other request needs "Authorization: Bearer <token>" with the
// latest token issued, or the static registry token.
type bearerServer struct {
	user, pass, refresh, static string

	mu     sync.Mutex
	issued int
	valid  string
	scopes []string
}

func (b *bearerServer) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			b.token(w, r)
			return
		}
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || !b.accepts(tok) {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(
				`Bearer realm="http://%s/token",service="skiff-test",scope="repository:library/busybox:pull"`, r.Host))
			unauthorized(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (b *bearerServer) accepts(tok string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return tok != "" && (tok == b.valid || tok == b.static)
}

// expire invalidates the issued token.
func (b *bearerServer) expire() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.valid = ""
}

func (b *bearerServer) token(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	field := "token"
	ok := false
	switch r.Method {
	case http.MethodGet:
		u, p, basic := r.BasicAuth()
		ok = basic && u == b.user && p == b.pass
	case http.MethodPost:
		ok = r.PostForm.Get("grant_type") == "refresh_token" && r.PostForm.Get("refresh_token") == b.refresh
		field = "access_token"
	}
	if !ok {
		http.Error(w, `{"details":"incorrect username or password"}`, http.StatusUnauthorized)
		return
	}
	b.mu.Lock()
	b.issued++
	b.valid = fmt.Sprintf("token-%d", b.issued)
	b.scopes = append(b.scopes, r.Form["scope"]...)
	tok := b.valid
	b.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{%q: %q, "expires_in": 300}`, field, tok)
}
