//go:build e2e

package e2e

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/testutil/streamclient"
)

// webServer runs busybox httpd on port 80 of the pod, serving body.
func (d *daemon) webServer(t *testing.T, pod string, podCfg *runtime.PodSandboxConfig, body string) {
	t.Helper()
	d.runContainer(t, pod, podCfg, "web", "mkdir -p /www && echo "+body+" > /www/index.html && exec httpd -f -p 80 -h /www")
	d.waitListening(t, pod, podCfg, 80)
}

// waitListening waits until a TCP port listens in the pod, as seen from
// a container of it.
func (d *daemon) waitListening(t *testing.T, pod string, podCfg *runtime.PodSandboxConfig, port int) {
	t.Helper()
	probe := d.runContainer(t, pod, podCfg, fmt.Sprintf("probe%d", port), "exec sleep 1000")
	for i := 0; ; i++ {
		res, err := d.execSync(t, probe, 5, "sh", "-c", fmt.Sprintf("nc -z 127.0.0.1 %d", port))
		if err == nil && res.ExitCode == 0 {
			return
		}
		if i == 100 {
			t.Fatalf("nothing listens on port %d in the pod: %v %v", port, res, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (d *daemon) portForwardURL(t *testing.T, pod string, ports ...int32) string {
	t.Helper()
	resp, err := d.runtime.PortForward(ctxT(t), &runtime.PortForwardRequest{PodSandboxId: pod, Port: ports})
	if err != nil {
		t.Fatalf("PortForward: %v", err)
	}
	return resp.Url
}

// httpOver sends a request for / on a fresh connection to addr, shuts
// the connection's write side (a half-close) and returns the response.
func httpOver(addr string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(15 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.0\r\n\r\n"); err != nil {
		return "", err
	}
	c.(*net.TCPConn).CloseWrite()
	b, err := io.ReadAll(c)
	return string(b), err
}

// TestPortForward: SPDY, several connections at once over one
// forwarder, each request sent, half-closed and answered.
func TestPortForward(t *testing.T) {
	d, pod, podCfg := streamingPod(t)
	d.webServer(t, pod, podCfg, "hello-from-the-pod")
	f, err := streamclient.Forward(d.portForwardURL(t, pod), nil, "0:80")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			got, err := httpOver(f.Addrs[0])
			if err != nil || !strings.Contains(got, "200 OK") || !strings.Contains(got, "hello-from-the-pod") {
				t.Errorf("request %d: %q, %v", i, got, err)
			}
		})
	}
	wg.Wait()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get("http://" + f.Addrs[0] + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello-from-the-pod\n" {
		t.Errorf("HTTP GET through the forwarder: %q", body)
	}
}

// wsForward forwards one connection to port over the WebSocket channel
// protocol (the port named in the CRI request): it sends data and
// returns what comes back on the data and error channels until the
// server closes.
func wsForward(t *testing.T, rawURL string, data string) (string, string) {
	t.Helper()
	dialer := websocket.Dialer{Subprotocols: []string{"v4.channel.k8s.io"}, HandshakeTimeout: 10 * time.Second}
	conn, _, err := dialer.Dial(strings.Replace(rawURL, "http://", "ws://", 1), nil)
	if err != nil {
		t.Fatalf("WebSocket port forward: %v", err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	if err := conn.WriteMessage(websocket.BinaryMessage, append([]byte{0}, data...)); err != nil {
		t.Fatal(err)
	}
	var got [2]strings.Builder
	var headerSeen [2]bool
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			break
		}
		if len(msg) == 0 || msg[0] > 1 {
			continue
		}
		ch, payload := msg[0], msg[1:]
		if !headerSeen[ch] { // each channel starts with the port, little-endian
			if len(payload) < 2 {
				t.Fatalf("channel %d starts with %q", ch, payload)
			}
			headerSeen[ch] = true
			t.Logf("channel %d: port %d", ch, binary.LittleEndian.Uint16(payload))
			payload = payload[2:]
		}
		got[ch].Write(payload)
	}
	return got[0].String(), got[1].String()
}

func TestPortForwardWebSocket(t *testing.T) {
	d, pod, podCfg := streamingPod(t)
	d.webServer(t, pod, podCfg, "hello-over-websocket")
	data, errs := wsForward(t, d.portForwardURL(t, pod, 80), "GET / HTTP/1.0\r\n\r\n")
	if !strings.Contains(data, "hello-over-websocket") || errs != "" {
		t.Errorf("data %q, errors %q", data, errs)
	}
}

// TestPortForwardRefusals: a port nobody listens on, and a UDP port,
// are refused with messages that say so.
func TestPortForwardRefusals(t *testing.T) {
	d, pod, podCfg := streamingPod(t)
	d.runContainer(t, pod, podCfg, "udp", "exec nc -u -l -p 5353")
	time.Sleep(500 * time.Millisecond)
	for port, want := range map[int32]string{
		5353: "port 5353 is UDP: port-forward carries TCP only",
		5354: "nothing listens on TCP port 5354",
	} {
		_, errs := wsForward(t, d.portForwardURL(t, pod, port), "x")
		if !strings.Contains(errs, want) {
			t.Errorf("port %d: error channel %q, want %q", port, errs, want)
		}
	}
}

// TestPortForwardHostNetwork: a host-network pod's ports are the host's.
func TestPortForwardHostNetwork(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	podCfg := podConfig(t, "hostnet")
	podCfg.Linux.SecurityContext = &runtime.LinuxSandboxSecurityContext{
		NamespaceOptions: &runtime.NamespaceOption{Network: runtime.NamespaceMode_NODE},
	}
	pod := d.runPod(t, podCfg)
	defer d.removePod(t, pod)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			io.ReadAll(c) // the request, up to the client's half-close
			io.WriteString(c, "answered on the host")
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	f, err := streamclient.Forward(d.portForwardURL(t, pod), nil, fmt.Sprintf("0:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, err := httpOver(f.Addrs[0]); err != nil || got != "answered on the host" {
		t.Errorf("host-network forward: %q, %v", got, err)
	}
}
