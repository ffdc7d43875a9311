// Package cluster starts simulated multi-node clusters on this machine
// for end-to-end tests, through hack/cluster.sh: N nodes, each a network
// namespace with its own skiffd, test registry and `skiff agent`, on a
// bridge standing for the LAN, joined to a `skiff server` on the host
// side of it. Start brings them up and waits until every node is Ready
// with a pod CIDR; Kill fails a node; the test's cleanup tears it all
// down (processes, pods, netns, bridge, veths, mounts, cgroups, state).
//
// It needs root. Tests that use it are heavy: run them under
// flock /tmp/skiff-heavy.lock.
package cluster

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Options configure a cluster. Zero fields take the defaults.
type Options struct {
	// Bin holds skiff, skiffd, skiff-shim, skiff-pause,
	// skiff-testregistry, crictl and kubectl.
	Bin string
	// Name prefixes the bridge, netns and veths (at most 6 characters;
	// default "skt" and the pid's last digits).
	Name string
	// Net is the LAN's /24 as three octets (default 192.168.252).
	Net string
	// ServerFlags are more flags of `skiff server`.
	ServerFlags []string
	// AgentFlags are more flags of every node's `skiff agent`.
	AgentFlags []string
}

// Cluster is a running simulated cluster.
type Cluster struct {
	t    *testing.T
	opts Options
	dir  string
	// Kubeconfig is the admin's kubeconfig.
	Kubeconfig string
	// Nodes is the number of nodes.
	Nodes int
}

// Start brings up n nodes and waits until they are Ready; the cluster is
// torn down when the test ends.
func Start(t *testing.T, n int, opts Options) *Cluster {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("simulated nodes need root")
	}
	if opts.Name == "" {
		opts.Name = fmt.Sprintf("skt%d", os.Getpid()%1000)
	}
	if opts.Net == "" {
		opts.Net = "192.168.252"
	}
	dir, err := os.MkdirTemp("", "skiff-cluster-")
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{t: t, opts: opts, dir: filepath.Join(dir, "c"), Kubeconfig: filepath.Join(dir, "c", "admin.kubeconfig"), Nodes: n}
	t.Cleanup(func() {
		if t.Failed() {
			c.dumpLogs()
		}
		if out, err := c.script("down"); err != nil {
			t.Errorf("cluster down: %v\n%s", err, out)
		}
		os.RemoveAll(dir)
	})
	if out, err := c.script("up", fmt.Sprint(n)); err != nil {
		c.dumpLogs()
		t.Fatalf("cluster up: %v\n%s", err, out)
	}
	return c
}

// NodeName is the name of node i (1-based).
func (c *Cluster) NodeName(i int) string { return fmt.Sprintf("%s-n%d", c.opts.Name, i) }

// NodeIP is the LAN address of node i.
func (c *Cluster) NodeIP(i int) string { return fmt.Sprintf("%s.%d", c.opts.Net, 10+i) }

// Kill kills node i's agent and skiffd at once, as a machine failure
// would; its pods' processes stay until teardown.
func (c *Cluster) Kill(i int) {
	c.t.Helper()
	if out, err := c.script("kill", fmt.Sprint(i)); err != nil {
		c.t.Fatalf("kill node %d: %v\n%s", i, err, out)
	}
}

// InNode runs a command in node i's network namespace and returns its
// output.
func (c *Cluster) InNode(i int, args ...string) (string, error) {
	cmd := exec.Command("nsenter", append([]string{"--net=/run/netns/" + c.NodeName(i)}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Log is the log of a process: "server", or "n1/agent", "n2/skiffd" …
func (c *Cluster) Log(what string) string {
	b, _ := os.ReadFile(filepath.Join(c.dir, what+".log"))
	return string(b)
}

func (c *Cluster) script(args ...string) (string, error) {
	cmd := exec.Command(scriptPath(), args...)
	cmd.Env = append(os.Environ(), "SKIFF_BIN="+c.opts.Bin, "CLUSTER_DIR="+c.dir, "CLUSTER_NAME="+c.opts.Name,
		"CLUSTER_NET="+c.opts.Net, "CLUSTER_PORT=6443", "SERVER_FLAGS="+strings.Join(c.opts.ServerFlags, " "),
		"AGENT_FLAGS="+strings.Join(c.opts.AgentFlags, " "))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// dumpLogs logs the tail of every process's log.
func (c *Cluster) dumpLogs() {
	logs, _ := filepath.Glob(filepath.Join(c.dir, "*.log"))
	more, _ := filepath.Glob(filepath.Join(c.dir, "n*", "*.log"))
	for _, l := range append(logs, more...) {
		b, _ := os.ReadFile(l)
		if len(b) > 3000 {
			b = b[len(b)-3000:]
		}
		c.t.Logf("--- %s\n%s", l, b)
	}
}

// scriptPath is hack/cluster.sh of this source tree.
func scriptPath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "hack", "cluster.sh")
}
