package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"time"

	"google.golang.org/grpc"
	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/controlplane/agent/state"
)

// Pods finds the pods the agent runs, by namespace and name.
type Pods interface {
	Lookup(namespace, name string) (*corev1.Pod, bool)
}

// Runtime is the part of the CRI RuntimeService the server uses.
type Runtime interface {
	state.Runtime
	Exec(ctx context.Context, in *runtimeapi.ExecRequest, opts ...grpc.CallOption) (*runtimeapi.ExecResponse, error)
	Attach(ctx context.Context, in *runtimeapi.AttachRequest, opts ...grpc.CallOption) (*runtimeapi.AttachResponse, error)
	PortForward(ctx context.Context, in *runtimeapi.PortForwardRequest, opts ...grpc.CallOption) (*runtimeapi.PortForwardResponse, error)
}

// Config configures a Server.
type Config struct {
	// Listen is host:port; port 0 picks one.
	Listen string
	// ClientCA verifies client certificates; ClientNames are the common
	// names allowed.
	ClientCA    *x509.CertPool
	ClientNames []string
	// Dir keeps the self-signed serving certificate; Hosts are its names.
	Dir     string
	Hosts   []string
	Pods    Pods
	Runtime Runtime
}

// Server serves the agent's endpoint.
type Server struct {
	cfg Config
	ln  net.Listener
	srv *http.Server
}

// New listens on cfg.Listen; Serve serves.
func New(cfg Config) (*Server, error) {
	if cfg.ClientCA == nil {
		return nil, errors.New("agent server: no CA to verify the API server's certificate")
	}
	cert, err := servingCert(cfg.Dir, cfg.Hosts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("agent server: %w", err)
	}
	s := &Server{cfg: cfg, ln: ln}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) })
	mux.Handle("GET /containerLogs/{namespace}/{pod}/{container}", s.auth(s.containerLogs))
	for _, m := range []string{"GET", "POST"} {
		mux.Handle(m+" /exec/{namespace}/{pod}/{container}", s.auth(s.exec))
		mux.Handle(m+" /attach/{namespace}/{pod}/{container}", s.auth(s.attach))
		mux.Handle(m+" /portForward/{namespace}/{pod}", s.auth(s.portForward))
	}
	s.srv = &http.Server{
		Handler: mux,
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{cert}, ClientAuth: tls.VerifyClientCertIfGiven,
			ClientCAs: cfg.ClientCA, MinVersion: tls.VersionTLS12,
		},
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(slog.Default().Handler(), slog.LevelDebug),
	}
	return s, nil
}

// Addr is the address served.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Port is the port served.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Serve serves until ctx ends.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.ServeTLS(s.ln, "", "") }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(sctx); err != nil {
		s.srv.Close()
	}
	return nil
}

// auth lets through requests with a verified certificate of an allowed
// common name.
func (s *Server) auth(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		if cn := r.TLS.VerifiedChains[0][0].Subject.CommonName; !slices.Contains(s.cfg.ClientNames, cn) {
			http.Error(w, fmt.Sprintf("Forbidden (user=%s)", cn), http.StatusForbidden)
			return
		}
		h(w, r)
	})
}

// pod finds the request's pod, answering 404 when it is not here.
func (s *Server) pod(w http.ResponseWriter, r *http.Request) (*corev1.Pod, bool) {
	ns, name := r.PathValue("namespace"), r.PathValue("pod")
	p, ok := s.cfg.Pods.Lookup(ns, name)
	if !ok {
		http.Error(w, fmt.Sprintf("pod %s/%s not found on this node", ns, name), http.StatusNotFound)
	}
	return p, ok
}

// container finds the newest (or the previous) instance of a container
// of pod.
func (s *Server) container(ctx context.Context, w http.ResponseWriter, pod *corev1.Pod, name string, previous bool) (*state.Container, bool) {
	st, err := state.Read(ctx, s.cfg.Runtime, pod.UID)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return nil, false
	}
	c := st.Container(name)
	if previous {
		c = st.Previous(name)
	}
	if c == nil {
		msg := fmt.Sprintf("container %q in pod %q is waiting to start: ContainerCreating", name, pod.Name)
		if previous {
			msg = fmt.Sprintf("previous terminated container %q in pod %q not found", name, pod.Name)
		}
		http.Error(w, msg, http.StatusBadRequest)
		return nil, false
	}
	return c, true
}
