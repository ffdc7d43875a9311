package testregistry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/testutil/testimage"
)

// Registry is a running in-memory registry. Its methods are safe for
// concurrent use; after Close it serves nothing. Its fields are set by
// Start and not changed after.
type Registry struct {
	addr   string
	served []Served
	srv    *http.Server
	done   chan error // the server's exit, buffered

	closeOnce sync.Once
	closeErr  error
}

// Option configures Start.
type Option func(*options)

type options struct {
	logger *slog.Logger
	wrap   func(http.Handler) http.Handler
}

// WithMiddleware puts wrap around the registry's handler, for tests that
// count, delay or break requests. The images are pushed through it too.
func WithMiddleware(wrap func(http.Handler) http.Handler) Option {
	return func(o *options) { o.wrap = wrap }
}

// WithLogger logs every registry request at debug level to l. Without
// it, requests are not logged.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// Start listens on addr (a loopback host and a port, port 0 for any),
// serves an empty registry there and pushes images into it. ctx bounds
// the pushes only; the registry runs until Close.
func Start(ctx context.Context, addr string, images []testimage.Image, opts ...Option) (*Registry, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if err := checkLoopback(addr); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("test registry: %w", err)
	}
	handler := registry.New(registry.Logger(requestLogger(o.logger)))
	if o.wrap != nil {
		handler = o.wrap(handler)
	}
	r := &Registry{
		addr: ln.Addr().String(),
		srv: &http.Server{
			Handler:           handler,
			ReadHeaderTimeout: 30 * time.Second,
		},
		done: make(chan error, 1),
	}
	go func() { r.done <- r.srv.Serve(ln) }()
	if err := r.push(ctx, images); err != nil {
		_ = r.Close()
		return nil, err
	}
	return r, nil
}

func (r *Registry) push(ctx context.Context, images []testimage.Image) error {
	served, writes, err := plan(r.addr, images)
	if err != nil {
		return err
	}
	if err := remote.MultiWrite(writes, remote.WithContext(ctx)); err != nil {
		return fmt.Errorf("push test images to %s: %w", r.addr, err)
	}
	r.served = served
	return nil
}

// Addr returns the host:port the registry listens on.
func (r *Registry) Addr() string { return r.addr }

// Refs returns the served references in the order of the images given to
// Start.
func (r *Registry) Refs() []Served { return slices.Clone(r.served) }

// Close stops the registry at once, cutting requests in flight, and
// drops its content; later calls return the first call's result. (A
// graceful http.Server.Shutdown would wait up to 5s for connections that
// clients dialed but never used.)
func (r *Registry) Close() error {
	r.closeOnce.Do(func() { r.closeErr = r.close() })
	return r.closeErr
}

func (r *Registry) close() error {
	if err := r.srv.Close(); err != nil {
		return fmt.Errorf("stop test registry: %w", err)
	}
	if err := <-r.done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("test registry: %w", err)
	}
	return nil
}

// checkLoopback accepts "HOST:PORT" where HOST is a loopback IP or
// localhost: the registry speaks plain HTTP and holds test fixtures only.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("test registry address %q: %w: %w", addr, err, errdefs.ErrInvalidArgument)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("test registry address %q: host must be a loopback address: %w", addr, errdefs.ErrInvalidArgument)
	}
	return nil
}

// requestLogger adapts l to the *log.Logger ggcr's registry writes each
// request to; nil discards.
func requestLogger(l *slog.Logger) *log.Logger {
	if l == nil {
		return log.New(io.Discard, "", 0)
	}
	return slog.NewLogLogger(l.With("component", "testregistry").Handler(), slog.LevelDebug)
}
