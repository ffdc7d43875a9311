//go:build e2e

package controlplane

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/testutil/hostbridge"
	"github.com/skiffrt/skiff/internal/testutil/output"
	"github.com/skiffrt/skiff/internal/testutil/testimage"
	"github.com/skiffrt/skiff/internal/testutil/testregistry"
)

// nodeName is the name of the node the agent tests run.
const nodeName = "node1"

// node is one worker for the agent tests: a test registry, a skiffd and
// a `skiff agent` process with a node credential, all in temp dirs,
// attached to a `skiff server` (whose own agent is off).
type node struct {
	t          *testing.T
	s          *server
	client     kubernetes.Interface
	dir        string
	cgroupRoot string
	manifests  string
	registry   string
	skiffd     *proc
	agent      *proc
	cri        runtimeapi.RuntimeServiceClient
}

// startNode starts the registry, skiffd, the server and the agent, and
// waits for the Node to be Ready. Everything stops and is removed when
// the test ends: pods, mounts, cgroups.
func startNode(t *testing.T) *node {
	t.Helper()
	n := &node{t: t, dir: t.TempDir(), cgroupRoot: fmt.Sprintf("/skiff-e2e-agent-%d", os.Getpid())}
	n.registry = startTestRegistry(t)
	n.startSkiffd()
	n.s = startServer(t, "")
	n.client = n.clientFor()
	n.manifests = filepath.Join(n.dir, "manifests")
	if err := os.MkdirAll(n.manifests, 0o755); err != nil {
		t.Fatal(err)
	}
	n.startAgent()
	n.waitReady()
	return n
}

// startLocalNode starts the registry, skiffd, and a `skiff server` that
// runs the node agent itself, and waits for the Node to be Ready.
func startLocalNode(t *testing.T) *node {
	t.Helper()
	n := &node{t: t, dir: t.TempDir(), cgroupRoot: fmt.Sprintf("/skiff-e2e-agent-%d", time.Now().UnixNano()%1e6)}
	n.registry = startTestRegistry(t)
	n.startSkiffd()
	n.manifests = n.dir + "/manifests"
	n.s = startServer(t, "", append([]string{"--agent=true"}, n.agentFlags()...)...)
	n.client = n.clientFor()
	n.waitReady()
	return n
}

// startSkiffd starts (or restarts) skiffd in n.dir, its registries
// mirrored to the test registry and nothing else reachable, its pods on
// the tests' own bridge and subnet (hostbridge.ControlPlane, with CNI
// config and IPAM dirs in n.dir), and connects to it. At the end of the
// test every pod it has is removed, then it stops and the bridge is
// deleted.
func (n *node) startSkiffd() {
	t := n.t
	first := n.skiffd == nil
	if first {
		if err := hostbridge.ControlPlane.Claim(); err != nil {
			t.Fatalf("the tests' network: %v", err)
		}
	}
	hostNet, err := hostbridge.ControlPlane.ForSkiffd(n.dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(n.dir, "skiff.toml"), []byte(hostNet.TOML()), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--config", filepath.Join(n.dir, "skiff.toml"), "--root", filepath.Join(n.dir, "root"),
		"--run-root", filepath.Join(n.dir, "run"), "--listen", n.socket(), "--log-level", "debug"}
	for _, host := range testregistry.Mirrored {
		args = append(args, "--registry-mirror", host+"=http://"+n.registry)
	}
	n.skiffd = startProc(t, "skiffd", filepath.Join(binDir(t), "skiffd"), args,
		"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "NO_PROXY=", "https_proxy=", "http_proxy=", "no_proxy=")
	if first {
		conn, err := grpc.NewClient("unix://"+n.socket(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		n.cri = runtimeapi.NewRuntimeServiceClient(conn)
		t.Cleanup(func() {
			n.removePods()
			n.skiffd.stop()
			conn.Close()
			n.cleanHost()
			if err := hostbridge.ControlPlane.Delete(); err != nil {
				t.Errorf("clean up the tests' network: %v", err)
			}
		})
	}
	n.waitCRI()
}

// startTestRegistry serves the test images on loopback until the test
// ends and returns its address.
func startTestRegistry(t *testing.T) string {
	t.Helper()
	reg, err := testregistry.Start(context.Background(), "127.0.0.1:0", testimage.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	return reg.Addr()
}

// clientFor is the admin's client of n's server.
func (n *node) clientFor() kubernetes.Interface {
	return kubernetes.NewForConfigOrDie(n.s.restConfig())
}

func execRequest(id string) *runtimeapi.ExecRequest {
	return &runtimeapi.ExecRequest{ContainerId: id, Cmd: []string{"true"}, Stdout: true}
}

func isUnimplemented(err error) bool { return status.Code(err) == codes.Unimplemented }

func (n *node) socket() string { return filepath.Join(n.dir, "run", "skiff.sock") }

// waitCRI waits until skiffd answers Version.
func (n *node) waitCRI() {
	n.t.Helper()
	ok, last := poll(15*time.Second, 100*time.Millisecond, func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := n.cri.Version(ctx, &runtimeapi.VersionRequest{})
		return err == nil, fmt.Sprint(err)
	})
	if !ok {
		n.t.Fatalf("skiffd not up: %s\n%s", last, n.skiffd.log())
	}
}

// startAgent runs `skiff agent`, which joins with a bootstrap token:
// it buys its node credential (system:node:node1 in system:nodes) and
// keeps it in its kubeconfig.
func (n *node) startAgent() {
	t := n.t
	token := n.s.createToken("--ttl", "10m")
	args := []string{"agent", "--server", n.s.restConfig().Host, "--token", token,
		"--certificate-authority", filepath.Join(n.s.dir, "state", "pki", "ca.crt"),
		"--kubeconfig", filepath.Join(n.dir, "node.kubeconfig")}
	n.agent = startProc(t, "skiff agent", filepath.Join(n.s.bin, "skiff"), append(args, n.agentFlags()...))
	t.Cleanup(n.agent.stop)
}

// agentFlags place everything of the agent in n's dirs.
func (n *node) agentFlags() []string {
	return []string{
		"--node-name", nodeName, "--node-ip", "127.0.0.1", "--cri-socket", n.socket(),
		"--root-dir", filepath.Join(n.dir, "agent"), "--volume-dir", filepath.Join(n.dir, "volumes"), "--pod-log-dir", filepath.Join(n.dir, "logs"),
		"--cgroup-root", n.cgroupRoot, "--manifest-dir", n.manifests, "--agent-listen", "127.0.0.1:0",
		"--resolv-conf", "/etc/resolv.conf", "--log-level", "debug",
		"--proxy=false", // the host's nftables are not the test's
	}
}

// waitReady waits for the Node to be Ready.
func (n *node) waitReady() {
	n.t.Helper()
	n.eventually(30*time.Second, "node Ready", func() (bool, string) {
		node, err := n.client.CoreV1().Nodes().Get(context.Background(), nodeName, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		for _, c := range node.Status.Conditions {
			if c.Type == corev1.NodeReady {
				return c.Status == corev1.ConditionTrue, c.Message
			}
		}
		return false, "no Ready condition"
	})
}

// eventually polls cond every 200 ms until it holds, failing the test
// after timeout with cond's last word and the agent's log.
func (n *node) eventually(timeout time.Duration, what string, cond func() (bool, string)) {
	n.t.Helper()
	if ok, last := poll(timeout, 200*time.Millisecond, cond); !ok {
		agentLog := ""
		if n.agent != nil {
			agentLog = tail(n.agent.log())
		}
		n.t.Fatalf("%s: not after %s: %s\nagent log:\n%s", what, timeout, last, agentLog)
	}
}

// pod reads a pod.
func (n *node) pod(name string) *corev1.Pod {
	n.t.Helper()
	p, err := n.client.CoreV1().Pods("default").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		n.t.Fatal(err)
	}
	return p
}

// waitPod waits until the pod satisfies cond.
func (n *node) waitPod(name string, timeout time.Duration, what string, cond func(*corev1.Pod) bool) *corev1.Pod {
	n.t.Helper()
	var p *corev1.Pod
	n.eventually(timeout, "pod "+name+" "+what, func() (bool, string) {
		var err error
		p, err = n.client.CoreV1().Pods("default").Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return cond(p), fmt.Sprintf("phase %s, statuses %+v", p.Status.Phase, p.Status.ContainerStatuses)
	})
	return p
}

func running(p *corev1.Pod) bool {
	if p.Status.Phase != corev1.PodRunning || len(p.Status.ContainerStatuses) == 0 {
		return false
	}
	for _, c := range p.Status.ContainerStatuses {
		if c.State.Running == nil {
			return false
		}
	}
	return true
}

func ready(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// containers returns the running containers' IDs and attempts, sorted.
func (n *node) containers() []string {
	n.t.Helper()
	resp, err := n.cri.ListContainers(context.Background(), &runtimeapi.ListContainersRequest{
		Filter: &runtimeapi.ContainerFilter{State: &runtimeapi.ContainerStateValue{State: runtimeapi.ContainerState_CONTAINER_RUNNING}}})
	if err != nil {
		n.t.Fatal(err)
	}
	var out []string
	for _, c := range resp.Containers {
		out = append(out, fmt.Sprintf("%s/%s#%d", c.Labels["io.kubernetes.pod.name"], c.Metadata.Name, c.Metadata.Attempt))
		out[len(out)-1] += " " + c.Id
	}
	sort.Strings(out)
	return out
}

// containerID is the running container name of pod.
func (n *node) containerID(pod, name string) string {
	n.t.Helper()
	for _, c := range n.containers() {
		if strings.HasPrefix(c, pod+"/"+name+"#") {
			return c[strings.LastIndex(c, " ")+1:]
		}
	}
	n.t.Fatalf("no running container %s of pod %s in %v", name, pod, n.containers())
	return ""
}

// execSync runs cmd in a container through the CRI.
func (n *node) execSync(id string, cmd ...string) string {
	n.t.Helper()
	resp, err := n.cri.ExecSync(context.Background(), &runtimeapi.ExecSyncRequest{ContainerId: id, Cmd: cmd, Timeout: 10})
	if err != nil || resp.ExitCode != 0 {
		n.t.Fatalf("exec %v: %v %s", cmd, err, resp.GetStderr())
	}
	return string(resp.Stdout)
}

// removePods stops and removes every sandbox of skiffd.
func (n *node) removePods() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp, err := n.cri.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		n.t.Errorf("list pods at cleanup: %v", err)
		return
	}
	for _, sb := range resp.Items {
		if _, err := n.cri.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: sb.Id}); err != nil {
			n.t.Errorf("remove pod %s at cleanup: %v", sb.Id, err)
		}
	}
}

// cleanHost unmounts what is left under n.dir (tmpfs volumes) and removes
// the test's cgroup tree from every hierarchy.
func (n *node) cleanHost() {
	mounts, _ := os.ReadFile("/proc/self/mounts")
	var points []string
	for _, line := range strings.Split(string(mounts), "\n") {
		if f := strings.Fields(line); len(f) > 1 && strings.HasPrefix(f[1], n.dir) {
			points = append(points, f[1])
		}
	}
	slices.SortFunc(points, func(a, b string) int { return len(b) - len(a) })
	for _, p := range points {
		unix.Unmount(p, unix.MNT_DETACH)
	}
	hierarchies, _ := filepath.Glob("/sys/fs/cgroup/*")
	for _, h := range append(hierarchies, "/sys/fs/cgroup") {
		root := filepath.Join(h, n.cgroupRoot)
		var dirs []string
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			os.Remove(dirs[i])
		}
	}
}

// writeManifest puts a static pod manifest in the agent's directory.
func (n *node) writeManifest(name, content string) {
	n.t.Helper()
	if err := os.WriteFile(filepath.Join(n.manifests, name), []byte(content), 0o644); err != nil {
		n.t.Fatal(err)
	}
}

// proc is a process under test with its output kept.
type proc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	out  *output.Buffer
	done chan struct{}
}

func startProc(t *testing.T, name, bin string, args []string, env ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, out: &output.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.Env = append(os.Environ(), env...)
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	return p
}

func (p *proc) log() string { return p.out.String() }

// kill9 kills the process at once, as a crash.
func (p *proc) kill9() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop sends SIGTERM, then SIGKILL after 20 s.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		p.t.Errorf("%s ignored SIGTERM for 20s", p.name)
		p.kill9()
	}
}
