package nodeproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/httpstream/wsstream"
	"k8s.io/apimachinery/pkg/util/proxy"
	apiproxy "k8s.io/apiserver/pkg/util/proxy"
)

// defaultPort is kubelet's, for nodes that report none.
const defaultPort = 10250

// Getter reads one object (a registry Store).
type Getter interface {
	Get(ctx context.Context, namespace, name string) (runtime.Object, error)
}

// Proxy serves pods' stream subresources through their nodes.
type Proxy struct {
	pods, nodes Getter
	transport   *http.Transport
}

// New returns a Proxy reading pods and nodes through the getters and
// calling agents through transport (which holds the client certificate).
func New(pods, nodes Getter, transport *http.Transport) *Proxy {
	return &Proxy{pods: pods, nodes: nodes, transport: transport}
}

// writeError answers err as a metav1.Status, as the API server does.
func (p *Proxy) writeError(w http.ResponseWriter, _ *http.Request, err error) {
	st := apierrors.APIStatus(apierrors.NewInternalError(err))
	if s, ok := err.(apierrors.APIStatus); ok {
		st = s
	}
	status := st.Status()
	status.Kind, status.APIVersion = "Status", "v1"
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(int(status.Code))
	_ = json.NewEncoder(w).Encode(status)
}

// ServeStream serves pods/<sub> of namespace/name.
func (p *Proxy) ServeStream(w http.ResponseWriter, r *http.Request, resource, sub, namespace, name string) {
	if resource != "pods" {
		p.writeError(w, r, apierrors.NewNotFound(schema.GroupResource{Resource: resource + "/" + sub}, name))
		return
	}
	pod, err := p.pod(r.Context(), namespace, name)
	if err != nil {
		p.writeError(w, r, err)
		return
	}
	loc, err := p.location(r, pod, sub)
	if err != nil {
		p.writeError(w, r, err)
		return
	}
	switch sub {
	case "log":
		p.serveLog(w, r, loc)
	case "exec", "attach":
		p.serveRemoteCommand(w, r, loc)
	case "portforward":
		p.servePortForward(w, r, loc)
	default:
		p.writeError(w, r, apierrors.NewNotFound(schema.GroupResource{Resource: "pods/" + sub}, name))
	}
}

func (p *Proxy) pod(ctx context.Context, ns, name string) (*corev1.Pod, error) {
	obj, err := p.pods.Get(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, apierrors.NewInternalError(fmt.Errorf("%T is not a pod", obj))
	}
	return pod, nil
}

// location is the agent URL serving sub of pod, with the request's query.
func (p *Proxy) location(r *http.Request, pod *corev1.Pod, sub string) (*url.URL, error) {
	if pod.Spec.NodeName == "" {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("pod %s does not have a host assigned", pod.Name))
	}
	host, err := p.nodeAddress(r.Context(), pod.Spec.NodeName)
	if err != nil {
		return nil, err
	}
	u := &url.URL{Scheme: "https", Host: host, RawQuery: r.URL.RawQuery}
	if sub == "portforward" {
		u.Path = fmt.Sprintf("/portForward/%s/%s", pod.Namespace, pod.Name)
		return u, nil
	}
	ctr, err := container(r, pod, sub)
	if err != nil {
		return nil, err
	}
	path := map[string]string{"log": "containerLogs", "exec": "exec", "attach": "attach"}[sub]
	u.Path = fmt.Sprintf("/%s/%s/%s/%s", path, pod.Namespace, pod.Name, ctr)
	return u, nil
}

// nodeAddress is host:port of the node's agent.
func (p *Proxy) nodeAddress(ctx context.Context, name string) (string, error) {
	obj, err := p.nodes.Get(ctx, "", name)
	if err != nil {
		return "", err
	}
	node := obj.(*corev1.Node)
	addr := ""
	for _, t := range []corev1.NodeAddressType{corev1.NodeInternalIP, corev1.NodeExternalIP, corev1.NodeHostName} {
		for _, a := range node.Status.Addresses {
			if a.Type == t && addr == "" {
				addr = a.Address
			}
		}
	}
	if addr == "" {
		return "", apierrors.NewServiceUnavailable(fmt.Sprintf("node %s reports no address", name))
	}
	port := int(node.Status.DaemonEndpoints.KubeletEndpoint.Port)
	if port <= 0 {
		port = defaultPort
	}
	return net.JoinHostPort(addr, strconv.Itoa(port)), nil
}

// container is the container the request names, or the pod's only one;
// a pod of several containers needs a name, as kube-apiserver says.
func container(r *http.Request, pod *corev1.Pod, sub string) (string, error) {
	name := r.URL.Query().Get("container")
	all := append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...)
	if name == "" {
		if len(pod.Spec.Containers) == 1 {
			return pod.Spec.Containers[0].Name, nil
		}
		names := make([]string, len(pod.Spec.Containers))
		for i, c := range pod.Spec.Containers {
			names[i] = c.Name
		}
		return "", apierrors.NewBadRequest(fmt.Sprintf("a container name must be specified for pod %s, choose one of: [%s]", pod.Name, strings.Join(names, " ")))
	}
	for _, c := range all {
		if c.Name == name {
			return name, nil
		}
	}
	return "", apierrors.NewBadRequest(fmt.Sprintf("container %s is not valid for pod %s", name, pod.Name))
}

// serveLog copies the agent's answer, flushing as it streams (logs -f);
// the agent checks the log options.
func (p *Proxy) serveLog(w http.ResponseWriter, r *http.Request, loc *url.URL) {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, loc.String(), nil)
	if err != nil {
		p.writeError(w, r, apierrors.NewInternalError(err))
		return
	}
	resp, err := p.transport.RoundTrip(req)
	if err != nil {
		p.writeError(w, r, apierrors.NewServiceUnavailable(fmt.Sprintf("node agent unreachable: %v", err)))
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		p.writeError(w, r, agentError(resp.StatusCode, strings.TrimSpace(string(body))))
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	copyFlushing(w, resp.Body)
}

// agentError maps an agent's error answer to an API error.
func agentError(code int, msg string) error {
	switch code {
	case http.StatusBadRequest:
		return apierrors.NewBadRequest(msg)
	case http.StatusNotFound:
		return apierrors.NewNotFound(schema.GroupResource{Resource: "pods"}, msg)
	}
	return apierrors.NewGenericServerResponse(code, "get", schema.GroupResource{Resource: "pods/log"}, "", msg, 0, true)
}

func copyFlushing(w http.ResponseWriter, body io.Reader) {
	f, _ := w.(http.Flusher)
	buf := make([]byte, 32<<10)
	for {
		n, err := body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			if f != nil {
				f.Flush()
			}
		}
		if err != nil {
			return
		}
	}
}

// serveRemoteCommand proxies exec and attach, translating WebSocket v5.
func (p *Proxy) serveRemoteCommand(w http.ResponseWriter, r *http.Request, loc *url.URL) {
	upgrade := p.upgradeHandler(loc)
	if !wsstream.IsWebSocketRequestWithStreamCloseProtocol(r) {
		upgrade.ServeHTTP(w, r)
		return
	}
	q := r.URL.Query()
	flag := func(n string) bool { b, _ := strconv.ParseBool(q.Get(n)); return b }
	opts := apiproxy.Options{Stdin: flag("stdin"), Stdout: flag("stdout"), Stderr: flag("stderr"), Tty: flag("tty")}
	apiproxy.NewStreamTranslatorHandler(loc, p.transport, 0, opts).ServeHTTP(w, r)
}

// servePortForward proxies port-forward, unwrapping SPDY tunnelled over
// WebSocket.
func (p *Proxy) servePortForward(w http.ResponseWriter, r *http.Request, loc *url.URL) {
	upgrade := p.upgradeHandler(loc)
	if wsstream.IsWebSocketRequestWithTunnelingProtocol(r) {
		apiproxy.NewTunnelingHandler(upgrade).ServeHTTP(w, r)
		return
	}
	upgrade.ServeHTTP(w, r)
}

func (p *Proxy) upgradeHandler(loc *url.URL) http.Handler {
	h := proxy.NewUpgradeAwareHandler(loc, p.transport, false, true, responder{p})
	h.UpgradeTransport = proxy.NewUpgradeRequestRoundTripper(p.transport, p.transport)
	return h
}

type responder struct{ p *Proxy }

func (r responder) Error(w http.ResponseWriter, req *http.Request, err error) {
	r.p.writeError(w, req, apierrors.NewServiceUnavailable(fmt.Sprintf("error proxying to the node agent: %v", err)))
}
