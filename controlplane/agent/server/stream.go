package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"k8s.io/apimachinery/pkg/util/proxy"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/controlplane/agent/state"
)

// streamOpts are the stdin/stdout/stderr/tty flags of an exec or attach
// request ("1" or "true").
type streamOpts struct{ stdin, stdout, stderr, tty bool }

func parseStreamOpts(q url.Values) streamOpts {
	flag := func(names ...string) bool {
		for _, n := range names {
			if b, err := strconv.ParseBool(q.Get(n)); err == nil && b {
				return true
			}
		}
		return false
	}
	o := streamOpts{stdin: flag("stdin", "input"), stdout: flag("stdout", "output"), stderr: flag("stderr", "error"), tty: flag("tty")}
	if o.tty {
		o.stderr = false // one stream with a terminal
	}
	return o
}

// exec asks the runtime for an exec session and proxies the stream to it.
func (s *Server) exec(w http.ResponseWriter, r *http.Request) {
	o, id, ok := s.streamTarget(w, r)
	if !ok {
		return
	}
	cmd := r.URL.Query()["command"]
	if len(cmd) == 0 {
		http.Error(w, "missing command", http.StatusBadRequest)
		return
	}
	resp, err := s.cfg.Runtime.Exec(r.Context(), &runtimeapi.ExecRequest{ContainerId: id, Cmd: cmd,
		Stdin: o.stdin, Stdout: o.stdout, Stderr: o.stderr, Tty: o.tty})
	s.proxy(w, r, respURL(resp.GetUrl(), err))
}

// attach asks the runtime to attach to the container's process.
func (s *Server) attach(w http.ResponseWriter, r *http.Request) {
	o, id, ok := s.streamTarget(w, r)
	if !ok {
		return
	}
	resp, err := s.cfg.Runtime.Attach(r.Context(), &runtimeapi.AttachRequest{ContainerId: id,
		Stdin: o.stdin, Stdout: o.stdout, Stderr: o.stderr, Tty: o.tty})
	s.proxy(w, r, respURL(resp.GetUrl(), err))
}

// portForward asks the runtime to forward ports into the pod's sandbox.
func (s *Server) portForward(w http.ResponseWriter, r *http.Request) {
	pod, ok := s.pod(w, r)
	if !ok {
		return
	}
	st, err := state.Read(r.Context(), s.cfg.Runtime, pod.UID)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	sb := st.Sandbox()
	if sb == nil || !sb.Ready {
		http.Error(w, fmt.Sprintf("pod %s has no running sandbox", pod.Name), http.StatusServiceUnavailable)
		return
	}
	var ports []int32
	for _, p := range r.URL.Query()["port"] {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil || n == 0 {
			http.Error(w, fmt.Sprintf("invalid port %q", p), http.StatusBadRequest)
			return
		}
		ports = append(ports, int32(n))
	}
	resp, err := s.cfg.Runtime.PortForward(r.Context(), &runtimeapi.PortForwardRequest{PodSandboxId: sb.ID, Port: ports})
	s.proxy(w, r, respURL(resp.GetUrl(), err))
}

// streamTarget reads the stream options and finds the running container.
func (s *Server) streamTarget(w http.ResponseWriter, r *http.Request) (streamOpts, string, bool) {
	o := parseStreamOpts(r.URL.Query())
	if !o.stdin && !o.stdout && !o.stderr {
		http.Error(w, "you must specify at least one of stdin, stdout, stderr", http.StatusBadRequest)
		return o, "", false
	}
	pod, ok := s.pod(w, r)
	if !ok {
		return o, "", false
	}
	c, ok := s.container(r.Context(), w, pod, r.PathValue("container"), false)
	if !ok {
		return o, "", false
	}
	return o, c.ID, true
}

type urlOrErr struct {
	u   *url.URL
	err error
}

func respURL(raw string, err error) urlOrErr {
	if err != nil {
		return urlOrErr{err: err}
	}
	u, err := url.Parse(raw)
	return urlOrErr{u: u, err: err}
}

// proxy hands the (upgrade) request to the runtime's streaming server.
func (s *Server) proxy(w http.ResponseWriter, r *http.Request, target urlOrErr) {
	if target.err != nil {
		code := http.StatusInternalServerError
		switch status.Code(target.err) {
		case codes.Unimplemented:
			code = http.StatusNotImplemented
		case codes.NotFound:
			code = http.StatusNotFound
		case codes.InvalidArgument, codes.FailedPrecondition:
			code = http.StatusBadRequest
		}
		http.Error(w, target.err.Error(), code)
		return
	}
	h := proxy.NewUpgradeAwareHandler(target.u, nil, false, true, responder{})
	h.ServeHTTP(w, r)
}

type responder struct{}

func (responder) Error(w http.ResponseWriter, _ *http.Request, err error) {
	http.Error(w, err.Error(), http.StatusInternalServerError)
}
