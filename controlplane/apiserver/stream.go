package apiserver

import (
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// StreamServer serves stream subresources: it finds the object's node
// and proxies the request there (package nodeproxy).
type StreamServer interface {
	ServeStream(w http.ResponseWriter, r *http.Request, resource, subresource, namespace, name string)
}

// serveStream hands a stream subresource request (already authorized) to
// the StreamServer.
func (s *Server) serveStream(w http.ResponseWriter, r *http.Request, info requestInfo) {
	if s.cfg.Streams == nil {
		writeError(w, r, apierrors.NewServiceUnavailable("this server does not reach nodes"))
		return
	}
	s.cfg.Streams.ServeStream(w, r, info.Kind, info.Subresource, info.Namespace, info.Name)
}
