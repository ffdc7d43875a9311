//go:build e2e

package controlplane

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/skiffrt/skiff/controlplane/pki"
)

// freePorts returns n loopback ports that were free a moment ago.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

// TestEtcdCluster: `skiff server` on three `skiff etcd` members keeps
// working when one member is killed, with members speaking plain HTTP or
// TLS to each other (certificates from the cluster CA).
func TestEtcdCluster(t *testing.T) {
	t.Run("http", func(t *testing.T) { testEtcdCluster(t, false) })
	t.Run("peer-tls", func(t *testing.T) { testEtcdCluster(t, true) })
}

func testEtcdCluster(t *testing.T, peerTLS bool) {
	bin := binDir(t)
	ports := freePorts(t, 6)
	scheme, extra := "http", []string{}
	if peerTLS {
		dir := t.TempDir()
		if _, err := pki.LoadOrCreateCA(dir); err != nil {
			t.Fatal(err)
		}
		scheme, extra = "https", []string{"--pki-dir", dir}
	}
	var cluster, clients []string
	for i := range 3 {
		cluster = append(cluster, fmt.Sprintf("e%d=%s://127.0.0.1:%d", i, scheme, ports[2*i+1]))
		clients = append(clients, fmt.Sprintf("http://127.0.0.1:%d", ports[2*i]))
	}
	members := make([]*exec.Cmd, 3)
	ready := make(chan error, 3)
	for i := range members {
		cmd := exec.Command(filepath.Join(bin, "skiff"), "etcd", "--name", fmt.Sprintf("e%d", i),
			"--data-dir", t.TempDir(), "--listen-client", fmt.Sprintf("127.0.0.1:%d", ports[2*i]),
			"--listen-peer", fmt.Sprintf("127.0.0.1:%d", ports[2*i+1]), "--initial-cluster", strings.Join(cluster, ","),
			"--log-level", "error")
		cmd.Args = append(cmd.Args, extra...)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		members[i] = cmd
		t.Cleanup(func() {
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
		})
		go func() {
			sc := bufio.NewScanner(out)
			if sc.Scan() && strings.Contains(sc.Text(), "serving") {
				ready <- nil
				for sc.Scan() {
				}
				return
			}
			ready <- fmt.Errorf("member exited: %v", cmd.Wait())
		}()
	}
	for range members {
		select {
		case err := <-ready:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(time.Minute):
			t.Fatal("etcd members not ready after a minute")
		}
	}

	if peerTLS {
		// The peer port speaks only TLS.
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/members", ports[1]))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("plain HTTP to a TLS peer port: %s", resp.Status)
			}
		}
	}
	s := startServer(t, "", "--etcd-servers", strings.Join(clients, ","))
	s.k("create", "configmap", "before", "--from-literal=a=1")
	members[0].Process.Kill()
	members[0].Wait()
	s.k("create", "configmap", "after", "--from-literal=a=2")
	expectLine(t, s.k("get", "configmaps"), "after", "1")
	expectLine(t, s.k("get", "configmaps"), "before", "1")
}
