package streaming

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	utilexec "k8s.io/utils/exec"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/task"
	"github.com/skiffrt/skiff/internal/testutil/streamclient"
)

// fakeContainers runs "exec" by echoing its first read of stdin to
// stdout (WebSocket v4 cannot end stdin), writing the command to stderr
// and exiting with the code its second word names;
// attach records the streams it got.
type fakeContainers struct {
	mu    sync.Mutex
	calls []task.Streams
	sizes []task.TerminalSize
}

func (f *fakeContainers) Exec(ctx context.Context, id string, cmd []string, s task.Streams) (int, error) {
	f.record(s)
	if id != "ctr" {
		return 0, fmt.Errorf("%w: no container %s", errdefs.ErrNotFound, id)
	}
	if s.Stdin != nil && s.Stdout != nil {
		buf := make([]byte, 64)
		n, _ := s.Stdin.Read(buf)
		s.Stdout.Write(buf[:n])
	}
	if s.Stderr != nil {
		io.WriteString(s.Stderr, strings.Join(cmd, " "))
	}
	if s.Resize != nil {
		select {
		case size := <-s.Resize:
			f.mu.Lock()
			f.sizes = append(f.sizes, size)
			f.mu.Unlock()
		case <-time.After(time.Second):
		}
	}
	code := 0
	if len(cmd) > 1 {
		fmt.Sscan(cmd[1], &code)
	}
	return code, nil
}

func (f *fakeContainers) Attach(ctx context.Context, id string, s task.Streams) error {
	f.record(s)
	if s.Stdout != nil {
		io.WriteString(s.Stdout, "attached")
	}
	return nil
}

func (f *fakeContainers) record(s task.Streams) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
}

func (f *fakeContainers) last() task.Streams {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[len(f.calls)-1]
}

// fakePods dials an echo server for port 80; other ports are refused.
type fakePods struct{ echo string }

func (p *fakePods) DialPort(ctx context.Context, id string, port int32) (net.Conn, error) {
	if port != 80 {
		return nil, fmt.Errorf("%w: nothing listens on TCP port %d", errdefs.ErrFailedPrecondition, port)
	}
	return net.Dial("tcp", p.echo)
}

// echoServer answers each connection, once the client has half-closed
// it, with "got " and what it read, then closes.
func echoServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				data, _ := io.ReadAll(c)
				c.Write(append([]byte("got "), data...))
			}()
		}
	}()
	return ln.Addr().String()
}

func newServer(t *testing.T, cfg Config) (*Server, *fakeContainers) {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	containers := &fakeContainers{}
	s, err := New(cfg, containers, &fakePods{echo: echoServer(t)})
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	t.Cleanup(func() { s.Close() })
	return s, containers
}

func stream(t *testing.T, transport, url string, tls *rest.TLSClientConfig, opts remotecommand.StreamOptions) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return streamclient.Stream(ctx, transport, url, tls, opts)
}

func TestExec(t *testing.T) {
	s, containers := newServer(t, Config{})
	for _, transport := range streamclient.Transports {
		t.Run(transport, func(t *testing.T) {
			url, err := s.GetExec(&runtimeapi.ExecRequest{ContainerId: "ctr", Cmd: []string{"sh", "3"}, Stdin: true, Stdout: true, Stderr: true})
			if err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			err = stream(t, transport, url, nil, remotecommand.StreamOptions{Stdin: strings.NewReader("in"), Stdout: &stdout, Stderr: &stderr})
			var exit utilexec.ExitError
			if !errors.As(err, &exit) || exit.ExitStatus() != 3 {
				t.Errorf("exec = %v, want exit code 3", err)
			}
			if stderr.String() != "sh 3" || stdout.String() != "in" {
				t.Errorf("stdout %q, stderr %q", &stdout, &stderr)
			}
			if got := containers.last(); got.Stdin == nil || got.Stdout == nil || got.Stderr == nil || got.Tty {
				t.Errorf("streams %+v", got)
			}
		})
	}
}

// TestExecStreamsAsked: the runtime gets only the streams the request
// asked for, whatever the protocol hands out.
func TestExecStreamsAsked(t *testing.T) {
	s, containers := newServer(t, Config{})
	for _, transport := range streamclient.Transports {
		t.Run(transport, func(t *testing.T) {
			url, err := s.GetExec(&runtimeapi.ExecRequest{ContainerId: "ctr", Cmd: []string{"true"}, Stdout: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := stream(t, transport, url, nil, remotecommand.StreamOptions{Stdout: io.Discard}); err != nil {
				t.Fatal(err)
			}
			if got := containers.last(); got.Stdin != nil || got.Stdout == nil || got.Stderr != nil {
				t.Errorf("streams: stdin %v, stdout %v, stderr %v; want stdout only", got.Stdin != nil, got.Stdout != nil, got.Stderr != nil)
			}
		})
	}
}

func TestExecTTYResize(t *testing.T) {
	s, containers := newServer(t, Config{})
	url, err := s.GetExec(&runtimeapi.ExecRequest{ContainerId: "ctr", Cmd: []string{"sh"}, Stdin: true, Stdout: true, Tty: true})
	if err != nil {
		t.Fatal(err)
	}
	sizes := &sizeQueue{sizes: []remotecommand.TerminalSize{{Width: 90, Height: 33}}}
	err = stream(t, streamclient.SPDY, url, nil, remotecommand.StreamOptions{Stdin: strings.NewReader(""), Stdout: io.Discard, Tty: true, TerminalSizeQueue: sizes})
	if err != nil {
		t.Fatal(err)
	}
	if got := containers.last(); !got.Tty || got.Stderr != nil {
		t.Errorf("tty streams %+v", got)
	}
	containers.mu.Lock()
	defer containers.mu.Unlock()
	if len(containers.sizes) != 1 || containers.sizes[0] != (task.TerminalSize{Width: 90, Height: 33}) {
		t.Errorf("sizes %v", containers.sizes)
	}
}

type sizeQueue struct {
	mu    sync.Mutex
	sizes []remotecommand.TerminalSize
}

func (q *sizeQueue) Next() *remotecommand.TerminalSize {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.sizes) == 0 {
		return nil
	}
	s := q.sizes[0]
	q.sizes = q.sizes[1:]
	return &s
}

func TestAttach(t *testing.T) {
	s, _ := newServer(t, Config{})
	for _, transport := range streamclient.Transports {
		t.Run(transport, func(t *testing.T) {
			url, err := s.GetAttach(&runtimeapi.AttachRequest{ContainerId: "ctr", Stdout: true})
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := stream(t, transport, url, nil, remotecommand.StreamOptions{Stdout: &out}); err != nil || out.String() != "attached" {
				t.Errorf("attach = %q, %v", &out, err)
			}
		})
	}
}

// TestTokenUsedOnce: a URL works once.
func TestTokenUsedOnce(t *testing.T) {
	s, _ := newServer(t, Config{})
	url, err := s.GetExec(&runtimeapi.ExecRequest{ContainerId: "ctr", Cmd: []string{"true"}, Stdout: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := stream(t, streamclient.SPDY, url, nil, remotecommand.StreamOptions{Stdout: io.Discard}); err != nil {
		t.Fatal(err)
	}
	err = stream(t, streamclient.SPDY, url, nil, remotecommand.StreamOptions{Stdout: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("second use = %v, want 404", err)
	}
}

func TestRequestsRefused(t *testing.T) {
	s, _ := newServer(t, Config{})
	if _, err := s.GetExec(&runtimeapi.ExecRequest{ContainerId: "ctr", Cmd: []string{"sh"}, Tty: true, Stderr: true}); err == nil {
		t.Error("exec with tty and stderr accepted")
	}
	if _, err := s.GetAttach(&runtimeapi.AttachRequest{ContainerId: "ctr"}); err == nil {
		t.Error("attach without streams accepted")
	}
}

// TestPortForward: several connections at once over one SPDY connection,
// each request answered after the client's half-close; a refused port
// is reported.
func TestPortForward(t *testing.T) {
	s, _ := newServer(t, Config{})
	url, err := s.GetPortForward(&runtimeapi.PortForwardRequest{PodSandboxId: "pod"})
	if err != nil {
		t.Fatal(err)
	}
	f, err := streamclient.Forward(url, nil, "0:80", "0:81")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	local := f.Addrs
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Go(func() {
			msg := fmt.Sprintf("hello %d", i)
			if got, err := roundTrip(local[0], msg); err != nil || got != "got "+msg {
				t.Errorf("connection %d: %q, %v", i, got, err)
			}
		})
	}
	wg.Wait()
	if got, err := roundTrip(local[1], "x"); err == nil && got != "" {
		t.Errorf("refused port answered %q", got)
	}
}

// roundTrip sends msg, half-closes and reads the answer.
func roundTrip(addr, msg string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, msg); err != nil {
		return "", err
	}
	c.(*net.TCPConn).CloseWrite()
	b, err := io.ReadAll(c)
	return string(b), err
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeSelfSigned(t, cert, key)
	s, _ := newServer(t, Config{TLSCertFile: cert, TLSKeyFile: key})
	if !strings.HasPrefix(s.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL %s", s.URL())
	}
	url, err := s.GetExec(&runtimeapi.ExecRequest{ContainerId: "ctr", Cmd: []string{"true"}, Stdout: true})
	if err != nil {
		t.Fatal(err)
	}
	tls := &rest.TLSClientConfig{CAFile: cert}
	if err := stream(t, streamclient.SPDY, url, tls, remotecommand.StreamOptions{Stdout: io.Discard}); err != nil {
		t.Errorf("exec over TLS: %v", err)
	}
	for _, bad := range []Config{{TLSCertFile: cert}, {TLSCertFile: cert, TLSKeyFile: cert}} {
		bad.Addr = "127.0.0.1:0"
		if _, err := New(bad, nil, nil); err == nil {
			t.Errorf("New(%+v) succeeded", bad)
		}
	}
}

func writeSelfSigned(t *testing.T, certFile, keyFile string) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "skiff-streaming-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
}
