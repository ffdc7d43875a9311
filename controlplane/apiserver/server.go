package apiserver

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/apimachinery/pkg/version"

	"github.com/skiffrt/skiff/controlplane/apiserver/auth"
	"github.com/skiffrt/skiff/controlplane/registry"
)

// Config wires the server's handler.
type Config struct {
	// Stores are the served kinds.
	Stores []*registry.Store
	// Scheme is NewScheme's (query parameters decode through it).
	Scheme *runtime.Scheme
	// Decoder decodes request bodies into the served types.
	Decoder *registry.Decoder
	// Authenticator and Authorizer guard every path but the public ones
	// (/healthz, /livez, /readyz, /version).
	Authenticator auth.Authenticator
	Authorizer    auth.Authorizer
	// OpenAPI serves /openapi/v2 and /openapi/v3[/…]; nil answers 404.
	OpenAPI http.Handler
	// NodeCertificates serves auth.NodeCertificatePath (a node's client
	// certificate for a bootstrap token); nil answers 404.
	NodeCertificates http.Handler
	// Ready reports whether the store answers (for /readyz).
	Ready func(ctx context.Context) error
	// Metrics serves /metrics and counts requests; nil disables both.
	Metrics *Metrics
	// Version is what /version reports.
	Version version.Info
	// Streams serves the kinds' stream subresources (pods/log, exec,
	// attach, portforward) through their nodes; nil answers 503.
	Streams StreamServer
}

// Server is the API server's HTTP handler.
type Server struct {
	cfg       Config
	stores    map[schema.GroupVersionResource]*registry.Store
	discovery *discovery
	params    runtime.ParameterCodec
	protobuf  runtime.Decoder
	// encoded shares the encoding of watch events among watchers.
	encoded *encodedEvents
}

// New returns the handler serving cfg's kinds.
func New(cfg Config) (*Server, error) {
	s := &Server{cfg: cfg, stores: map[schema.GroupVersionResource]*registry.Store{}, params: runtime.NewParameterCodec(cfg.Scheme),
		protobuf: protobuf.NewSerializer(cfg.Scheme, cfg.Scheme), encoded: newEncodedEvents()}
	for _, st := range cfg.Stores {
		k := st.Kind()
		gvr := k.GroupVersion().WithResource(k.Resource)
		if _, dup := s.stores[gvr]; dup {
			return nil, fmt.Errorf("resource %s served twice", gvr)
		}
		s.stores[gvr] = st
	}
	s.discovery = newDiscovery(cfg.Stores, reviewResources())
	return s, nil
}

// publicPaths are served without credentials, as kube-apiserver's
// system:public-info-viewer role allows.
var publicPaths = map[string]bool{"/healthz": true, "/livez": true, "/readyz": true, "/version": true}

// ServeHTTP is the handler chain: metrics and logging, then
// authentication (401), authorization (403), then routing.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	info := parseRequest(r)
	rec := &recorder{ResponseWriter: w, code: http.StatusOK}
	defer func() {
		if s.cfg.Metrics != nil {
			s.cfg.Metrics.observe(info, r.Method, rec.code, time.Since(start))
		}
		slog.DebugContext(r.Context(), "request", "method", r.Method, "path", r.URL.Path, "code", rec.code,
			"duration", time.Since(start))
	}()
	if publicPaths[r.URL.Path] {
		s.serveNonResource(rec, r)
		return
	}
	user, err := s.cfg.Authenticator.Authenticate(r)
	if err != nil || user == nil {
		writeError(rec, r, apierrors.NewUnauthorized("Unauthorized"))
		return
	}
	r = r.WithContext(auth.WithUser(r.Context(), user))
	if isReview(info) {
		s.serveReview(rec, r, user, info)
		return
	}
	if err := s.authorize(r, user, info); err != nil {
		writeError(rec, r, err)
		return
	}
	if info.Resource {
		s.serveResource(rec, r, info)
		return
	}
	s.serveNonResource(rec, r)
}

func (s *Server) authorize(r *http.Request, user *auth.User, info requestInfo) error {
	a := auth.Attributes{
		User: user, ResourceRequest: info.Resource, Path: r.URL.Path,
		APIGroup: info.Group, APIVersion: info.Version, Namespace: info.Namespace,
		Resource: info.Kind, Subresource: info.Subresource, Name: info.Name, Verb: info.Verb,
	}
	if !info.Resource {
		a.Verb = strings.ToLower(r.Method)
	}
	d, reason, err := s.cfg.Authorizer.Authorize(r.Context(), a)
	if err != nil {
		return apierrors.NewInternalError(err)
	}
	if d == auth.Allow {
		return nil
	}
	res := schema.GroupResource{Group: info.Group, Resource: info.Kind}
	if info.Subresource != "" {
		res.Resource += "/" + info.Subresource
	}
	msg := fmt.Sprintf("User %q cannot %s resource %q in API group %q", user.Name, a.Verb, res.Resource, res.Group)
	if info.Namespace != "" {
		msg += fmt.Sprintf(" in the namespace %q", info.Namespace)
	}
	if !info.Resource {
		msg = fmt.Sprintf("User %q cannot %s path %q", user.Name, a.Verb, r.URL.Path)
	}
	if reason != "" {
		msg += ": " + reason
	}
	return apierrors.NewForbidden(res, info.Name, fmt.Errorf("%s", msg))
}

// serveNonResource serves discovery, OpenAPI, health, metrics, version.
func (s *Server) serveNonResource(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/healthz" || p == "/livez" || p == "/readyz":
		s.serveHealth(w, r)
	case p == "/version":
		writeJSON(w, http.StatusOK, s.cfg.Version)
	case p == "/metrics" && s.cfg.Metrics != nil:
		s.cfg.Metrics.handler.ServeHTTP(w, r)
	case p == auth.NodeCertificatePath && s.cfg.NodeCertificates != nil:
		s.cfg.NodeCertificates.ServeHTTP(w, r)
	case strings.HasPrefix(p, "/openapi/") && s.cfg.OpenAPI != nil:
		s.cfg.OpenAPI.ServeHTTP(w, r)
	case p == "/api" || p == "/apis" || strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/apis/"):
		s.discovery.serve(w, r)
	default:
		writeError(w, r, notFound())
	}
}

func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/readyz" && s.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.cfg.Ready(ctx); err != nil {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "[-]etcd failed: %v\nreadyz check failed\n", err)
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte("ok"))
}

// notFound is kube-apiserver's answer to a path it does not serve.
func notFound() error {
	err := apierrors.NewNotFound(schema.GroupResource{}, "")
	err.ErrStatus.Message = "the server could not find the requested resource"
	err.ErrStatus.Details = nil
	return err
}

// recorder remembers the status code for metrics and logs, and lets
// watches flush.
type recorder struct {
	http.ResponseWriter
	code int
}

func (r *recorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack hands the connection over to an upgraded stream (exec, attach,
// port-forward), recorded as 101 Switching Protocols.
func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := r.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("%T cannot be hijacked", r.ResponseWriter)
	}
	r.code = http.StatusSwitchingProtocols
	return h.Hijack()
}
