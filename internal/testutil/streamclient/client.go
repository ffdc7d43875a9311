// Package streamclient drives streaming servers as kubelet and kubectl
// do, for tests: exec and attach with client-go's remotecommand
// executors (SPDY, and WebSocket v4.channel.k8s.io, the newest the CRI
// streaming library serves) and port forwarding with client-go's
// portforward over SPDY.
package streamclient

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/transport/spdy"
)

// The transports of Stream.
const (
	SPDY      = "spdy"
	WebSocket = "websocket"
)

// Transports are both transports, for tests that run over each.
var Transports = []string{SPDY, WebSocket}

// Stream runs an exec or attach session at rawURL over transport; tls,
// when set, configures HTTPS. A non-zero exit code is a
// k8s.io/utils/exec.ExitError.
func Stream(ctx context.Context, transport, rawURL string, tls *rest.TLSClientConfig, opts remotecommand.StreamOptions) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	cfg := config(tls)
	var e remotecommand.Executor
	switch transport {
	case SPDY:
		e, err = remotecommand.NewSPDYExecutor(cfg, "POST", u)
	case WebSocket:
		e, err = remotecommand.NewWebSocketExecutorForProtocols(cfg, "GET", rawURL, "v4.channel.k8s.io")
	default:
		err = fmt.Errorf("unknown transport %q", transport)
	}
	if err != nil {
		return err
	}
	return e.StreamWithContext(ctx, opts)
}

func config(tls *rest.TLSClientConfig) *rest.Config {
	cfg := &rest.Config{}
	if tls != nil {
		cfg.TLSClientConfig = *tls
	}
	return cfg
}

// Forwarder is a running port forwarder.
type Forwarder struct {
	// Addrs are the local addresses, one per forwarded port in order.
	Addrs []string
	stop  chan struct{}
	done  chan error
}

// Forward forwards ports ("LOCAL:REMOTE", LOCAL 0 for any) from
// 127.0.0.1 to the pod of rawURL over SPDY, until Close.
func Forward(rawURL string, tls *rest.TLSClientConfig, ports ...string) (*Forwarder, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	rt, upgrader, err := spdy.RoundTripperFor(config(tls))
	if err != nil {
		return nil, err
	}
	dialer := spdy.NewDialer(upgrader, &http.Client{Transport: rt}, "POST", u)
	f := &Forwarder{stop: make(chan struct{}), done: make(chan error, 1)}
	ready := make(chan struct{})
	pf, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, ports, f.stop, ready, io.Discard, io.Discard)
	if err != nil {
		return nil, err
	}
	go func() { f.done <- pf.ForwardPorts() }()
	select {
	case <-ready:
	case err := <-f.done:
		return nil, fmt.Errorf("port forward: %w", err)
	}
	got, err := pf.GetPorts()
	if err != nil {
		f.Close()
		return nil, err
	}
	for _, p := range got {
		f.Addrs = append(f.Addrs, fmt.Sprintf("127.0.0.1:%d", p.Local))
	}
	return f, nil
}

// Close stops forwarding and returns how the forwarder ended.
func (f *Forwarder) Close() error {
	close(f.stop)
	return <-f.done
}
