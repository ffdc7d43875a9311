//go:build kubelet

package kubelet

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/testutil/hostbridge"
	"github.com/skiffrt/skiff/internal/testutil/testimage"
	"github.com/skiffrt/skiff/internal/testutil/testregistry"
)

// nodeName is the kubelet's --hostname-override: static pods are named
// <manifest name>-<node name>.
const nodeName = "skiff-node"

// node is one skiffd and one standalone kubelet on it, in dir.
type node struct {
	t        *testing.T
	dir      string
	bin      string
	manifest string // the static pod directory

	registry  *testregistry.Registry
	skiffd    *process
	skiffArgs []string
	cri       runtime.RuntimeServiceClient

	kubelet *process
	api     *kubeletAPI
}

// binDir is where the binaries under test are: $SKIFF_BIN or ../../bin.
func binDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SKIFF_BIN")
	if dir == "" {
		dir = "../../bin"
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"skiffd", "kubelet"} {
		if _, err := os.Stat(filepath.Join(abs, b)); err != nil {
			t.Fatalf("%s not built (make build kubelet): %v", b, err)
		}
	}
	return abs
}

// startNode starts the test registry, skiffd and the kubelet, and
// registers their teardown, which also removes whatever pods are left.
func startNode(t *testing.T) *node {
	t.Helper()
	n := &node{t: t, dir: t.TempDir(), bin: binDir(t)}
	keepLogs(t, n.dir)
	n.manifest = filepath.Join(n.dir, "manifests")
	if err := os.MkdirAll(n.manifest, 0o755); err != nil {
		t.Fatal(err)
	}
	hostSetup(t, n.dir)
	// Registered before skiffd's teardown, so it runs after skiffd stops.
	if err := hostbridge.Kubelet.Claim(); err != nil {
		t.Fatalf("the test's network: %v", err)
	}
	t.Cleanup(func() {
		if err := hostbridge.Kubelet.Delete(); err != nil {
			t.Errorf("clean up the test's network: %v", err)
		}
	})

	reg, err := testregistry.Start(context.Background(), "127.0.0.1:0", testimage.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	n.registry = reg
	n.startSkiffd()
	n.startKubelet()
	return n
}

// startSkiffd starts skiffd in n.dir with the test registry as the mirror
// of every registry the test images name, its pods on the test's own
// bridge and subnet (hostbridge.Kubelet, with CNI config and IPAM dirs in
// n.dir), and connects to its socket.
func (n *node) startSkiffd() {
	t := n.t
	hostNet, err := hostbridge.Kubelet.ForSkiffd(n.dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(n.dir, "skiff.toml"), []byte(hostNet.TOML()), 0o644); err != nil {
		t.Fatal(err)
	}
	n.skiffArgs = []string{
		"--config", filepath.Join(n.dir, "skiff.toml"),
		"--root", filepath.Join(n.dir, "skiff"),
		"--run-root", filepath.Join(n.dir, "run"),
		"--listen", n.socket(),
		"--log-level", "debug",
	}
	for _, host := range testregistry.Mirrored {
		n.skiffArgs = append(n.skiffArgs, "--registry-mirror", host+"=http://"+n.registry.Addr())
	}
	n.skiffd = n.launch("skiffd", n.skiffArgs...)
	conn, err := grpc.NewClient("unix://"+n.socket(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	n.cri = runtime.NewRuntimeServiceClient(conn)
	n.waitSkiffd()
	t.Cleanup(func() {
		n.removeAllPods()
		conn.Close()
		n.skiffd.stop(syscall.SIGTERM, 15*time.Second)
	})
}

func (n *node) socket() string { return filepath.Join(n.dir, "run", "skiff.sock") }

// waitSkiffd waits until skiffd answers Version.
func (n *node) waitSkiffd() {
	n.t.Helper()
	err := poll(15*time.Second, func() error {
		if n.skiffd.exited() {
			return fmt.Errorf("skiffd exited")
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := n.cri.Version(ctx, &runtime.VersionRequest{})
		return err
	})
	if err != nil {
		n.t.Fatalf("skiffd did not come up: %v\n%s", err, n.skiffd.tail(30))
	}
}

// restartSkiffd kills skiffd with SIGKILL and starts it again at once.
func (n *node) restartSkiffd() {
	n.skiffd.stop(syscall.SIGKILL, 5*time.Second)
	n.skiffd = n.launch("skiffd", n.skiffArgs...)
	n.waitSkiffd()
}

// removeAllPods stops and removes every pod skiffd holds, so that a failed
// test leaks nothing.
func (n *node) removeAllPods() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pods, err := n.cri.ListPodSandbox(ctx, &runtime.ListPodSandboxRequest{})
	if err != nil {
		n.t.Errorf("teardown: list pods: %v", err)
		return
	}
	for _, p := range pods.Items {
		if _, err := n.cri.RemovePodSandbox(ctx, &runtime.RemovePodSandboxRequest{PodSandboxId: p.Id}); err != nil {
			n.t.Errorf("teardown: remove pod %s: %v", p.Id, err)
		}
	}
}

// keepLogs copies the daemons' logs out of dir when the test ends, into
// $SKIFF_ARTIFACTS or a new directory under /tmp, and says where.
func keepLogs(t *testing.T, dir string) {
	t.Cleanup(func() {
		out := os.Getenv("SKIFF_ARTIFACTS")
		if out == "" {
			var err error
			if out, err = os.MkdirTemp("", "skiff-kubelet-test-"); err != nil {
				t.Log(err)
				return
			}
		}
		logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
		for _, l := range append(logs, filepath.Join(dir, "kubelet.yaml")) {
			if b, err := os.ReadFile(l); err == nil {
				os.WriteFile(filepath.Join(out, filepath.Base(l)), b, 0o644)
			}
		}
		t.Logf("logs kept in %s", out)
	})
}

// process is a daemon under test whose output goes to a log file.
type process struct {
	name string
	log  string
	cmd  *exec.Cmd
	done chan struct{}
}

// launch starts bin/name with args, its output in <dir>/<name>.log
// (appended to across restarts).
func (n *node) launch(name string, args ...string) *process {
	n.t.Helper()
	p := &process{name: name, log: filepath.Join(n.dir, name+".log"), done: make(chan struct{})}
	out, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		n.t.Fatal(err)
	}
	defer out.Close()
	p.cmd = exec.Command(filepath.Join(n.bin, name), args...)
	p.cmd.Stdout, p.cmd.Stderr = out, out
	// Registry traffic stays on this machine: anything not to loopback
	// goes to a closed port.
	p.cmd.Env = append(os.Environ(), "HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "NO_PROXY=", "https_proxy=", "http_proxy=", "no_proxy=")
	if err := p.cmd.Start(); err != nil {
		n.t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	return p
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends sig and waits up to timeout, then kills.
func (p *process) stop(sig syscall.Signal, timeout time.Duration) {
	if p.exited() {
		return
	}
	p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// tail returns the last lines of the process's log.
func (p *process) tail(lines int) string {
	b, _ := os.ReadFile(p.log)
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return p.name + " log " + p.log + ":\n" + strings.Join(all, "\n")
}

// poll calls f until it returns nil or timeout passes, and returns its last
// error.
func poll(timeout time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// freePort returns a loopback TCP port that is free now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
