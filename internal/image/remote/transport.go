package remote

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// Connection limits of the shared transports. Idle connections per host
// exceed the store's layer parallelism so that keep-alive survives it.
const (
	maxIdleConns        = 100
	maxIdleConnsPerHost = 16
	idleConnTimeout     = 90 * time.Second
)

// newHTTPTransport clones http.DefaultTransport (proxy from the
// environment, dial and TLS handshake timeouts, HTTP/2) for one Resolver.
// Compression is off: layers are compressed already, and a transparently
// decompressed body would be an extra copy.
func newHTTPTransport(skipVerify bool) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = maxIdleConns
	t.MaxIdleConnsPerHost = maxIdleConnsPerHost
	t.IdleConnTimeout = idleConnTimeout
	t.DisableCompression = true
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: skipVerify} //nolint:gosec // only for hosts listed as insecure
	return t
}

// guard is the RoundTripper under every request of a Resolver, ggcr's
// token exchanges and redirects included. It enforces skiff's scheme
// rule (plain HTTP only to loopback and insecure hosts, whatever ggcr's
// own heuristics say), picks unverified TLS for insecure hosts, sets the
// User-Agent and applies the progress timeout to headers and bodies.
type guard struct {
	r *Resolver
}

func (g *guard) RoundTrip(req *http.Request) (*http.Response, error) {
	host := req.URL.Host
	if req.URL.Scheme == "http" && !g.r.plainHTTPAllowed(host) {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("http://%s: %w", host, ErrPlainHTTP)
	}
	base := g.r.secure
	if g.r.insecure.contains(host) {
		base = g.r.unverified
	}
	if req.Header.Get("User-Agent") == "" {
		req = req.Clone(req.Context())
		req.Header.Set("User-Agent", g.r.userAgent)
	}
	if g.r.progress <= 0 {
		return base.RoundTrip(req)
	}
	return g.timed(base, req)
}

// timed runs req through base, failing it if the headers take longer than
// the progress timeout, and wraps the body so that each read does too.
func (g *guard) timed(base http.RoundTripper, req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	timer := time.AfterFunc(g.r.progress, func() { cancel(ErrNoProgress) })
	resp, err := base.RoundTrip(req.WithContext(ctx))
	if !timer.Stop() {
		if err == nil {
			resp.Body.Close()
		}
		cancel(nil)
		return nil, g.stall(req)
	}
	if err != nil {
		cancel(nil)
		return nil, err
	}
	resp.Body = newProgressBody(resp.Body, g.r.progress, cancel, func() error { return g.stall(req) })
	return resp, nil
}

func (g *guard) stall(req *http.Request) error {
	l, ok := req.Context().Value(labelKey{}).(label)
	if !ok {
		l = label{what: req.URL.Path, from: req.URL.Scheme + "://" + req.URL.Host}
	}
	return &StallError{Timeout: g.r.progress, What: l.what, From: l.from}
}

// label names a fetch in progress errors: what is fetched, from where.
type label struct{ what, from string }

type labelKey struct{}

func withLabel(ctx context.Context, what, from string) context.Context {
	return context.WithValue(ctx, labelKey{}, label{what, from})
}

// progressBody fails a Read that blocks for longer than timeout. Only
// time spent inside Read counts: a slow consumer is not a stalled server.
type progressBody struct {
	body    io.ReadCloser
	timeout time.Duration
	timer   *time.Timer
	cancel  context.CancelCauseFunc // aborts the request, unblocking Read
	stalled atomic.Bool
	err     func() error
}

func newProgressBody(body io.ReadCloser, timeout time.Duration, cancel context.CancelCauseFunc, err func() error) *progressBody {
	p := &progressBody{body: body, timeout: timeout, cancel: cancel, err: err}
	p.timer = time.AfterFunc(timeout, func() {
		p.stalled.Store(true)
		cancel(ErrNoProgress)
	})
	p.timer.Stop()
	return p
}

func (p *progressBody) Read(b []byte) (int, error) {
	if p.stalled.Load() {
		return 0, p.err()
	}
	p.timer.Reset(p.timeout)
	n, err := p.body.Read(b)
	if !p.timer.Stop() && p.stalled.Load() {
		return n, p.err()
	}
	return n, err
}

func (p *progressBody) Close() error {
	p.timer.Stop()
	err := p.body.Close()
	p.cancel(nil)
	return err
}

// maxRedirects is http.Client's default limit.
const maxRedirects = 10

// checkRedirect follows up to maxRedirects redirects but refuses one from
// a public host to a private, loopback or link-local IP literal: a
// registry must not make skiff request a metadata service or the node's
// own ports (as ggcr's remote package refuses too).
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	from, to := via[0].URL.Hostname(), req.URL.Hostname()
	if from == to || isInternalIP(from) || !isInternalIP(to) {
		return nil
	}
	return fmt.Errorf("redirect from %s to internal address %s refused: %w", from, to, errdefs.ErrFailedPrecondition)
}

func isInternalIP(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && (ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsUnspecified())
}
