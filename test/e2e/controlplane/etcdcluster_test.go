//go:build e2e

package controlplane

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
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
// working when one member is killed.
func TestEtcdCluster(t *testing.T) {
	bin := binDir(t)
	ports := freePorts(t, 6)
	var cluster, clients []string
	for i := range 3 {
		cluster = append(cluster, fmt.Sprintf("e%d=http://127.0.0.1:%d", i, ports[2*i+1]))
		clients = append(clients, fmt.Sprintf("http://127.0.0.1:%d", ports[2*i]))
	}
	members := make([]*exec.Cmd, 3)
	ready := make(chan error, 3)
	for i := range members {
		cmd := exec.Command(filepath.Join(bin, "skiff"), "etcd", "--name", fmt.Sprintf("e%d", i),
			"--data-dir", t.TempDir(), "--listen-client", fmt.Sprintf("127.0.0.1:%d", ports[2*i]),
			"--listen-peer", fmt.Sprintf("127.0.0.1:%d", ports[2*i+1]), "--initial-cluster", strings.Join(cluster, ","),
			"--log-level", "error")
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

	s := startServer(t, "", "--etcd-servers", strings.Join(clients, ","))
	s.k("create", "configmap", "before", "--from-literal=a=1")
	members[0].Process.Kill()
	members[0].Wait()
	s.k("create", "configmap", "after", "--from-literal=a=2")
	expectLine(t, s.k("get", "configmaps"), "after", "1")
	expectLine(t, s.k("get", "configmaps"), "before", "1")
}
