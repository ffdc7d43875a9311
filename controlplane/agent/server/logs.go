package server

import (
	"context"
	"io"
	"net/http"
	"time"

	internalapi "k8s.io/cri-api/pkg/apis"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/cri-client/pkg/logs"
)

// containerLogs streams a container's CRI log as kubelet does, with the
// PodLogOptions of the query (follow, previous, sinceSeconds, sinceTime,
// timestamps, tailLines, limitBytes).
func (s *Server) containerLogs(w http.ResponseWriter, r *http.Request) {
	opts, err := parseLogOptions(r.URL.Query())
	if err != nil {
		http.Error(w, "invalid log options: "+err.Error(), http.StatusBadRequest)
		return
	}
	pod, ok := s.pod(w, r)
	if !ok {
		return
	}
	c, ok := s.container(r.Context(), w, pod, r.PathValue("container"), opts.Previous)
	if !ok {
		return
	}
	lo := &logs.LogOptions{TailLines: opts.TailLines, LimitBytes: opts.LimitBytes, Follow: opts.Follow && !opts.Previous, Timestamp: opts.Timestamps}
	now := time.Now()
	if opts.SinceSeconds != nil {
		lo.Since = now.Add(-time.Duration(*opts.SinceSeconds) * time.Second)
	}
	if opts.SinceTime != nil && opts.SinceTime.After(lo.Since) {
		lo.Since = opts.SinceTime.Time
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Transfer-Encoding", "chunked")
	w.WriteHeader(http.StatusOK)
	fw := flushWriter{w: w}
	if f, ok := w.(http.Flusher); ok {
		fw.f = f
	}
	var out io.Writer = fw
	if opts.LimitBytes != nil {
		out = &limitWriter{w: fw, n: *opts.LimitBytes}
	}
	// Errors after the header can only end the stream.
	_ = logs.ReadLogs(r.Context(), c.LogPath, c.ID, lo, statusOnly{rt: s.cfg.Runtime}, out, out)
}

// flushWriter flushes every write, so that `logs -f` sees lines at once.
type flushWriter struct {
	w io.Writer
	f http.Flusher
}

func (f flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if f.f != nil {
		f.f.Flush()
	}
	return n, err
}

// limitWriter stops after n bytes (limitBytes).
type limitWriter struct {
	w io.Writer
	n int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.w.Write(p)
	l.n -= int64(n)
	return n, err
}

// statusOnly gives the log reader the one call it makes when following:
// ContainerStatus, to stop once the container exited. The embedded
// interface is nil: any other call would panic, and none is made.
type statusOnly struct {
	internalapi.RuntimeService
	rt Runtime
}

func (s statusOnly) ContainerStatus(ctx context.Context, id string, verbose bool) (*runtimeapi.ContainerStatusResponse, error) {
	return s.rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id, Verbose: verbose})
}
