package streaming

import (
	"cmp"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	lib "k8s.io/cri-streaming/pkg/streaming"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// Config is where and how the server listens.
type Config struct {
	// Addr is host:port; port 0 lets the kernel choose one.
	Addr string
	// TLSCertFile and TLSKeyFile, both or neither, make it serve HTTPS.
	TLSCertFile, TLSKeyFile string
	// Logger gets the HTTP server's errors, at debug level.
	Logger *slog.Logger
}

// readHeaderTimeout bounds how long a client may take to send a request's
// headers; the streams themselves idle up to the library's 4 hours.
const readHeaderTimeout = 10 * time.Second

// Server is the streaming server. Its Get methods hand out URLs; Serve
// serves them. It is safe for concurrent use.
type Server struct {
	lib     lib.Server
	ln      net.Listener
	http    *http.Server
	url     url.URL
	options *options
}

// New listens on cfg.Addr and returns the server, ready to Serve.
func New(cfg Config, containers Containers, pods Pods) (*Server, error) {
	tlsCfg, err := loadTLS(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("streaming server: %w", err)
	}
	s := &Server{ln: ln, options: newOptions(), url: url.URL{Scheme: "http", Host: ln.Addr().String()}}
	if tlsCfg != nil {
		s.url.Scheme = "https"
	}
	libCfg := lib.DefaultConfig
	libCfg.Addr, libCfg.BaseURL, libCfg.TLSConfig = ln.Addr().String(), &s.url, tlsCfg
	if s.lib, err = lib.NewServer(libCfg, &runtime{containers: containers, pods: pods}); err != nil {
		ln.Close()
		return nil, fmt.Errorf("streaming server: %w", err)
	}
	s.http = &http.Server{
		Handler:           s.options.handler(hangup(s.lib)),
		TLSConfig:         tlsCfg,
		ReadHeaderTimeout: readHeaderTimeout,
		ErrorLog:          slog.NewLogLogger(cmp.Or(cfg.Logger, slog.Default()).Handler(), slog.LevelDebug),
	}
	return s, nil
}

// loadTLS reads the certificate and key, if configured.
func loadTLS(cfg Config) (*tls.Config, error) {
	if (cfg.TLSCertFile == "") != (cfg.TLSKeyFile == "") {
		return nil, fmt.Errorf("streaming server: %w: TLS needs both a certificate and a key file", errdefs.ErrInvalidArgument)
	}
	if cfg.TLSCertFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
	if err != nil {
		return nil, fmt.Errorf("streaming server: TLS: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// URL is the base of the URLs the server hands out.
func (s *Server) URL() string { return s.url.String() }

// Serve serves until Close; it then returns nil.
func (s *Server) Serve() error {
	var err error
	if s.http.TLSConfig != nil {
		err = s.http.ServeTLS(s.ln, "", "")
	} else {
		err = s.http.Serve(s.ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Close stops listening and closes the connections that are not
// streaming; streams in progress end with skiffd, and their shims then
// kill what they exec'd.
func (s *Server) Close() error {
	return s.http.Close()
}

// GetExec returns the URL of an exec request.
func (s *Server) GetExec(req *runtimeapi.ExecRequest) (string, error) {
	resp, err := s.lib.GetExec(req)
	if err != nil {
		return "", err
	}
	s.options.add(token(resp.Url), streams{req.Stdin, req.Stdout, req.Stderr, req.Tty})
	return resp.Url, nil
}

// GetAttach returns the URL of an attach request.
func (s *Server) GetAttach(req *runtimeapi.AttachRequest) (string, error) {
	resp, err := s.lib.GetAttach(req)
	if err != nil {
		return "", err
	}
	s.options.add(token(resp.Url), streams{req.Stdin, req.Stdout, req.Stderr, req.Tty})
	return resp.Url, nil
}

// GetPortForward returns the URL of a port-forward request.
func (s *Server) GetPortForward(req *runtimeapi.PortForwardRequest) (string, error) {
	resp, err := s.lib.GetPortForward(req)
	if err != nil {
		return "", err
	}
	return resp.Url, nil
}

// token is the last element of a URL the library made.
func token(u string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return path.Base(parsed.Path)
}
