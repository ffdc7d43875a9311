package prober

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// userAgent is what kubelet's probes send.
const userAgent = "kube-probe/1.37"

// maxBody is how much of an HTTP probe's answer is read.
const maxBody = 10 << 10

// Execer runs a command in a container (CRI ExecSync).
type Execer interface {
	ExecSync(ctx context.Context, in *runtimeapi.ExecSyncRequest, opts ...grpc.CallOption) (*runtimeapi.ExecSyncResponse, error)
}

// Target is the container a probe or hook acts on.
type Target struct {
	ContainerID string
	PodIP       string
	Ports       []corev1.ContainerPort
	Exec        Execer
}

// Exec runs cmd in the container; a non-zero exit is a failure whose
// message is the command's output.
func Exec(ctx context.Context, t Target, cmd []string, timeout time.Duration) error {
	resp, err := t.Exec.ExecSync(ctx, &runtimeapi.ExecSyncRequest{ContainerId: t.ContainerID, Cmd: cmd, Timeout: int64(timeout.Seconds())})
	if err != nil {
		return err
	}
	if resp.ExitCode != 0 {
		out := strings.TrimSpace(string(resp.Stdout) + string(resp.Stderr))
		return fmt.Errorf("command %q exited with %d: %s", cmd, resp.ExitCode, out)
	}
	return nil
}

// HTTPGet sends the GET; a status from 200 to 399 succeeds. Redirects to
// other hosts are not followed (and succeed), as kubelet's.
func HTTPGet(ctx context.Context, t Target, a *corev1.HTTPGetAction) error {
	addr, err := t.address(a.Host, a.Port)
	if err != nil {
		return err
	}
	scheme := strings.ToLower(string(a.Scheme))
	if scheme == "" {
		scheme = "http"
	}
	u := &url.URL{Scheme: scheme, Host: addr}
	path, query, _ := strings.Cut(a.Path, "?")
	u.Path, u.RawQuery = path, query
	if u.Path == "" {
		u.Path = "/"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "*/*")
	for _, h := range a.HTTPHeaders {
		if strings.EqualFold(h.Name, "Host") {
			req.Host = h.Value
		} else {
			req.Header.Add(h.Name, h.Value)
		}
	}
	resp, err := probeClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	if resp.StatusCode < http.StatusOK || resp.StatusCode >= http.StatusBadRequest {
		return fmt.Errorf("HTTP probe failed with statuscode: %d", resp.StatusCode)
	}
	return nil
}

// probeClient keeps no connections (each probe dials afresh, as kubelet)
// and does not verify certificates.
var probeClient = &http.Client{
	Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // kubelet's probes do not verify
		DisableKeepAlives: true,
		Proxy:             nil,
	},
	CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 || req.URL.Host != via[0].URL.Host {
			return http.ErrUseLastResponse
		}
		return nil
	},
}

// TCP connects to the port.
func TCP(ctx context.Context, t Target, a *corev1.TCPSocketAction) error {
	addr, err := t.address(a.Host, a.Port)
	if err != nil {
		return err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return conn.Close()
}

// GRPC asks the standard health service for the service's status.
func GRPC(ctx context.Context, t Target, a *corev1.GRPCAction) error {
	conn, err := grpc.NewClient(net.JoinHostPort(t.PodIP, strconv.Itoa(int(a.Port))),
		grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithUserAgent(userAgent))
	if err != nil {
		return err
	}
	defer conn.Close()
	svc := ""
	if a.Service != nil {
		svc = *a.Service
	}
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: svc})
	if err != nil {
		return err
	}
	if resp.Status != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("service unhealthy (responded with %q)", resp.Status)
	}
	return nil
}

// address is host:port of an action: its host or the pod's IP, its port
// by number or by the name of a container port.
func (t Target) address(host string, port intstr.IntOrString) (string, error) {
	n, err := resolvePort(port, t.Ports)
	if err != nil {
		return "", err
	}
	if host == "" {
		host = t.PodIP
	}
	return net.JoinHostPort(host, strconv.Itoa(n)), nil
}

// resolvePort turns a number or a container port's name into a number.
func resolvePort(p intstr.IntOrString, ports []corev1.ContainerPort) (int, error) {
	if p.Type == intstr.Int {
		if p.IntVal <= 0 || p.IntVal > 65535 {
			return 0, fmt.Errorf("invalid port number: %d", p.IntVal)
		}
		return int(p.IntVal), nil
	}
	for _, cp := range ports {
		if cp.Name == p.StrVal {
			return int(cp.ContainerPort), nil
		}
	}
	if n, err := strconv.Atoi(p.StrVal); err == nil && n > 0 && n < 65536 {
		return n, nil
	}
	return 0, fmt.Errorf("couldn't find port %q in the container's ports", p.StrVal)
}

// ErrUnsupported is a probe without a known action.
var ErrUnsupported = errors.New("probe has no exec, httpGet, tcpSocket or grpc action")

// run runs the probe's action, bounded by its timeout.
func run(ctx context.Context, p *corev1.Probe, t Target) error {
	timeout := time.Duration(max(p.TimeoutSeconds, 1)) * time.Second
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	switch h := p.ProbeHandler; {
	case h.Exec != nil:
		return Exec(ctx, t, h.Exec.Command, timeout)
	case h.HTTPGet != nil:
		return HTTPGet(ctx, t, h.HTTPGet)
	case h.TCPSocket != nil:
		return TCP(ctx, t, h.TCPSocket)
	case h.GRPC != nil:
		return GRPC(ctx, t, h.GRPC)
	}
	return ErrUnsupported
}
