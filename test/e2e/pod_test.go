//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/klog/v2"
)

// cgroupParent is the cgroup parent of the test pods: this process's own,
// so that counting cgroups sees no other skiffd's.
var cgroupParent = fmt.Sprintf("/skiff-e2e-%d", os.Getpid())

// podConfig is a minimal pod with its logs under the test's temp dir.
func podConfig(t *testing.T, name string) *runtime.PodSandboxConfig {
	return &runtime.PodSandboxConfig{
		Metadata:     &runtime.PodSandboxMetadata{Name: name, Namespace: "e2e", Uid: name + "-uid"},
		Hostname:     name,
		LogDirectory: t.TempDir(),
		Linux:        &runtime.LinuxPodSandboxConfig{CgroupParent: cgroupParent},
	}
}

func (d *daemon) runPod(t *testing.T, cfg *runtime.PodSandboxConfig) string {
	t.Helper()
	resp, err := d.runtime.RunPodSandbox(ctxT(t), &runtime.RunPodSandboxRequest{Config: cfg})
	if err != nil {
		t.Fatalf("RunPodSandbox: %v", err)
	}
	return resp.PodSandboxId
}

// runContainer creates and starts a busybox container running script.
func (d *daemon) runContainer(t *testing.T, pod string, podCfg *runtime.PodSandboxConfig, name, script string) string {
	t.Helper()
	return d.runConfig(t, pod, podCfg, name, &runtime.ContainerConfig{Command: []string{"sh", "-c", script}})
}

// runConfig creates and starts a busybox container from cfg, named name,
// with a log.
func (d *daemon) runConfig(t *testing.T, pod string, podCfg *runtime.PodSandboxConfig, name string, cfg *runtime.ContainerConfig) string {
	t.Helper()
	cfg.Metadata, cfg.Image = &runtime.ContainerMetadata{Name: name}, &runtime.ImageSpec{Image: "busybox"}
	cfg.LogPath, cfg.Linux = name+".log", &runtime.LinuxContainerConfig{}
	resp, err := d.runtime.CreateContainer(ctxT(t), &runtime.CreateContainerRequest{PodSandboxId: pod, SandboxConfig: podCfg, Config: cfg})
	if err != nil {
		t.Fatalf("CreateContainer: %v", err)
	}
	if _, err := d.runtime.StartContainer(ctxT(t), &runtime.StartContainerRequest{ContainerId: resp.ContainerId}); err != nil {
		t.Fatalf("StartContainer: %v", err)
	}
	return resp.ContainerId
}

func (d *daemon) containerStatus(t *testing.T, id string) *runtime.ContainerStatus {
	t.Helper()
	resp, err := d.runtime.ContainerStatus(ctxT(t), &runtime.ContainerStatusRequest{ContainerId: id})
	if err != nil {
		t.Fatalf("ContainerStatus: %v", err)
	}
	return resp.Status
}

// waitExited waits until container id has exited and returns its status.
func (d *daemon) waitExited(t *testing.T, id string) *runtime.ContainerStatus {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := d.containerStatus(t, id)
		if st.State == runtime.ContainerState_CONTAINER_EXITED {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s still %v", id, st.State)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (d *daemon) execSync(t *testing.T, id string, timeout int64, cmd ...string) (*runtime.ExecSyncResponse, error) {
	t.Helper()
	return d.runtime.ExecSync(ctxT(t), &runtime.ExecSyncRequest{ContainerId: id, Cmd: cmd, Timeout: timeout})
}

// removePod stops and removes pod, failing the test on error.
func (d *daemon) removePod(t *testing.T, pod string) {
	t.Helper()
	if _, err := d.runtime.StopPodSandbox(ctxT(t), &runtime.StopPodSandboxRequest{PodSandboxId: pod}); err != nil {
		t.Fatalf("StopPodSandbox: %v", err)
	}
	if _, err := d.runtime.RemovePodSandbox(ctxT(t), &runtime.RemovePodSandboxRequest{PodSandboxId: pod}); err != nil {
		t.Fatalf("RemovePodSandbox: %v", err)
	}
}

// criLogLine is one line of the CRI log format.
var criLogLine = regexp.MustCompile(`^\S+ (stdout|stderr) (P|F) (.*)$`)

// readLog returns the stream:text lines of a CRI log file.
func readLog(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := criLogLine.FindStringSubmatch(sc.Text())
		if m == nil {
			t.Fatalf("log line %q is not in the CRI format", sc.Text())
		}
		if _, err := time.Parse(time.RFC3339Nano, strings.Fields(sc.Text())[0]); err != nil {
			t.Fatalf("log line %q: timestamp: %v", sc.Text(), err)
		}
		lines = append(lines, m[1]+":"+m[3])
	}
	return lines
}

func TestPodAndContainerLifecycle(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	d.pull(t, "busybox")
	podCfg := podConfig(t, "life")
	pod := d.runPod(t, podCfg)

	ctr := d.runContainer(t, pod, podCfg, "app", "echo hello; echo oops >&2; exec sleep 1000")
	st := d.containerStatus(t, ctr)
	if st.State != runtime.ContainerState_CONTAINER_RUNNING || st.StartedAt == 0 || st.ImageId == "" {
		t.Fatalf("status %+v", st)
	}
	time.Sleep(200 * time.Millisecond)
	// Two pipes: the order between them is the order the shim read them.
	if got := readLog(t, st.LogPath); !slices.Equal(slices.Sorted(slices.Values(got)), []string{"stderr:oops", "stdout:hello"}) {
		t.Errorf("log = %v", got)
	}

	res, err := d.execSync(t, ctr, 10, "sh", "-c", "hostname; echo to-err >&2; exit 7")
	if err != nil || string(res.Stdout) != "life\n" || string(res.Stderr) != "to-err\n" || res.ExitCode != 7 {
		t.Errorf("ExecSync = %+v, %v", res, err)
	}
	start := time.Now()
	if _, err := d.execSync(t, ctr, 1, "sleep", "60"); status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("ExecSync past its timeout = %v, want DeadlineExceeded", err)
	}
	if _, err := d.execSync(t, ctr, 10, "sh", "-c", "sleep 60 & echo started"); err != nil {
		t.Errorf("ExecSync leaving a background child: %v", err)
	}
	if took := time.Since(start); took > 8*time.Second {
		t.Errorf("timed-out and background execs took %s", took)
	}

	if _, err := d.runtime.StopContainer(ctxT(t), &runtime.StopContainerRequest{ContainerId: ctr, Timeout: 10}); err != nil {
		t.Fatal(err)
	}
	if st := d.containerStatus(t, ctr); st.State != runtime.ContainerState_CONTAINER_EXITED || st.ExitCode != 143 && st.ExitCode != 137 {
		t.Errorf("after stop: %v exit %d", st.State, st.ExitCode)
	}
	if _, err := d.runtime.StopContainer(ctxT(t), &runtime.StopContainerRequest{ContainerId: ctr}); err != nil {
		t.Errorf("second StopContainer: %v", err)
	}
	if _, err := d.runtime.RemoveContainer(ctxT(t), &runtime.RemoveContainerRequest{ContainerId: ctr}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.runtime.ContainerStatus(ctxT(t), &runtime.ContainerStatusRequest{ContainerId: ctr}); status.Code(err) != codes.NotFound {
		t.Errorf("status of a removed container = %v, want NotFound", err)
	}
	d.removePod(t, pod)
	d.removePod(t, pod) // Idempotent.
}

func TestContainerExitReasons(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	d.pull(t, "busybox")
	podCfg := podConfig(t, "exits")
	pod := d.runPod(t, podCfg)
	defer d.removePod(t, pod)
	tests := []struct {
		script string
		code   int32
		reason string
	}{
		{"true", 0, "Completed"},
		{"exit 3", 3, "Error"},
		{"kill -9 $$", 137, "Error"},
	}
	for i, tt := range tests {
		t.Run(tt.script, func(t *testing.T) {
			st := d.waitExited(t, d.runContainer(t, pod, podCfg, fmt.Sprint("c", i), tt.script))
			if st.ExitCode != tt.code || st.Reason != tt.reason || st.FinishedAt < st.StartedAt {
				t.Errorf("exit %d reason %q (started %d finished %d), want %d %q", st.ExitCode, st.Reason, st.StartedAt, st.FinishedAt, tt.code, tt.reason)
			}
		})
	}
}

func TestStopEscalatesToSIGKILL(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	d.pull(t, "busybox")
	podCfg := podConfig(t, "stubborn")
	pod := d.runPod(t, podCfg)
	defer d.removePod(t, pod)
	ctr := d.runContainer(t, pod, podCfg, "c", "trap '' TERM; while :; do sleep 1; done")
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	if _, err := d.runtime.StopContainer(ctxT(t), &runtime.StopContainerRequest{ContainerId: ctr, Timeout: 2}); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if st := d.containerStatus(t, ctr); st.ExitCode != 137 || took < 2*time.Second || took > 10*time.Second {
		t.Errorf("exit %d after %s; want 137 after the 2s timeout", st.ExitCode, took)
	}
}

func TestNamesAreUnique(t *testing.T) {
	d := startDaemon(t)
	cfg := podConfig(t, "twin")
	first := d.runPod(t, cfg)
	defer d.removePod(t, first)
	_, err := d.runtime.RunPodSandbox(ctxT(t), &runtime.RunPodSandboxRequest{Config: cfg})
	if status.Code(err) != codes.AlreadyExists || !strings.Contains(err.Error(), first) {
		t.Errorf("second pod with the same name: %v; want AlreadyExists naming %s", err, first)
	}
}

func TestBadRequests(t *testing.T) {
	d := startDaemon(t)
	tests := []struct {
		name string
		call func(context.Context) error
		code codes.Code
	}{
		{"pod without metadata", func(ctx context.Context) error {
			_, err := d.runtime.RunPodSandbox(ctx, &runtime.RunPodSandboxRequest{Config: &runtime.PodSandboxConfig{}})
			return err
		}, codes.InvalidArgument},
		{"container in an unknown pod", func(ctx context.Context) error {
			_, err := d.runtime.CreateContainer(ctx, &runtime.CreateContainerRequest{PodSandboxId: "nope", Config: &runtime.ContainerConfig{Metadata: &runtime.ContainerMetadata{Name: "x"}}})
			return err
		}, codes.NotFound},
		{"start an unknown container", func(ctx context.Context) error {
			_, err := d.runtime.StartContainer(ctx, &runtime.StartContainerRequest{ContainerId: "nope"})
			return err
		}, codes.NotFound},
		{"status of an unknown pod", func(ctx context.Context) error {
			_, err := d.runtime.PodSandboxStatus(ctx, &runtime.PodSandboxStatusRequest{PodSandboxId: "nope"})
			return err
		}, codes.NotFound},
		{"exec in an unknown container", func(ctx context.Context) error {
			_, err := d.runtime.ExecSync(ctx, &runtime.ExecSyncRequest{ContainerId: "nope", Cmd: []string{"true"}})
			return err
		}, codes.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(ctxT(t)); status.Code(err) != tt.code {
				t.Errorf("got %v, want %v", err, tt.code)
			}
		})
	}
}

func TestReopenContainerLog(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	d.pull(t, "busybox")
	podCfg := podConfig(t, "logs")
	pod := d.runPod(t, podCfg)
	defer d.removePod(t, pod)
	ctr := d.runContainer(t, pod, podCfg, "c", "i=0; while :; do echo line $i; i=$((i+1)); sleep 0.1; done")
	logPath := d.containerStatus(t, ctr).LogPath
	time.Sleep(300 * time.Millisecond)
	if err := os.Rename(logPath, logPath+".1"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.runtime.ReopenContainerLog(ctxT(t), &runtime.ReopenContainerLogRequest{ContainerId: ctr}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond)
	if len(readLog(t, logPath+".1")) == 0 || len(readLog(t, logPath)) == 0 {
		t.Errorf("output did not move to the reopened log")
	}
}

// TestRestartKeepsContainers kills skiffd with SIGKILL: its containers run
// on, answer ExecSync after the restart, and one that exited meanwhile
// reports its true exit code.
func TestRestartKeepsContainers(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	d.pull(t, "busybox")
	podCfg := podConfig(t, "survivor")
	pod := d.runPod(t, podCfg)
	long := d.runContainer(t, pod, podCfg, "long", "exec sleep 1000")
	short := d.runContainer(t, pod, podCfg, "short", "sleep 1; exit 42")

	d.signal(syscall.SIGKILL, 5*time.Second)
	time.Sleep(1500 * time.Millisecond) // "short" exits while skiffd is down.
	d = startDaemonIn(t, d.dir, daemonArgs, mirrorArgs(reg)...)

	if st := d.containerStatus(t, long); st.State != runtime.ContainerState_CONTAINER_RUNNING {
		t.Errorf("long-running container after restart: %v", st.State)
	}
	if res, err := d.execSync(t, long, 10, "echo", "still here"); err != nil || string(res.Stdout) != "still here\n" {
		t.Errorf("ExecSync after restart = %v, %v", res, err)
	}
	if st := d.waitExited(t, short); st.ExitCode != 42 {
		t.Errorf("container that exited while skiffd was down: exit %d, want 42", st.ExitCode)
	}
	resp, err := d.runtime.PodSandboxStatus(ctxT(t), &runtime.PodSandboxStatusRequest{PodSandboxId: pod})
	if err != nil || resp.Status.State != runtime.PodSandboxState_SANDBOX_READY {
		t.Errorf("pod after restart: %v, %v", resp, err)
	}
	d.removePod(t, pod)
}

// TestNothingLeaks counts what a pod makes — mounts, namespaces, cgroups,
// processes, files — and checks that all of it is gone after removal.
func TestNothingLeaks(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	d.pull(t, "busybox")
	before := resources(t, d)
	for i := range 3 {
		podCfg := podConfig(t, fmt.Sprint("leak", i))
		pod := d.runPod(t, podCfg)
		d.runContainer(t, pod, podCfg, "a", "exec sleep 1000")
		d.runContainer(t, pod, podCfg, "b", "true")
		if i == 0 {
			if during := resources(t, d); during == before {
				t.Fatalf("a running pod shows in no counted resource: the test counts nothing (%+v)", during)
			}
		}
		d.removePod(t, pod)
	}
	if after := resources(t, d); after != before {
		t.Errorf("leaked: before %+v, after %+v", before, after)
	}
}

// counts are what a daemon's pods hold on the host: Pauses are the live
// pause processes of the tests' pods, Zombies the daemon's children that
// it did not reap. (A pause of an earlier daemon, stopped by a later one,
// belongs to init, which does not reap here: such zombies hold a pid
// only and are not counted.)
type counts struct {
	Mounts, Shims, Pauses, Zombies, NetNS, Tasks, Cgroups, ContainerDirs int
}

func resources(t *testing.T, d *daemon) counts {
	t.Helper()
	var c counts
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	c.Mounts = strings.Count(string(mi), d.dir)
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if b, err := os.ReadFile(p); err == nil && strings.Contains(string(b), "skiff-shim") && strings.Contains(string(b), d.dir) {
			c.Shims++
		}
	}
	c.Pauses, c.Zombies = pauses(d)
	c.NetNS = countEntries(filepath.Join(d.dir, "run", "netns"))
	c.Tasks = countEntries(filepath.Join(d.dir, "run", "tasks"))
	c.ContainerDirs = countEntries(filepath.Join(d.dir, "root", "containers"))
	cg, _ := filepath.Glob("/sys/fs/cgroup/*" + cgroupParent + "/skiff-*")
	cg2, _ := filepath.Glob("/sys/fs/cgroup/unified" + cgroupParent + "/skiff-*")
	c.Cgroups = len(cg) + len(cg2)
	return c
}

// pauses counts the live pause processes in the tests' cgroups and the
// zombie children of d.
func pauses(d *daemon) (live, zombies int) {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		state, ppid, ok := procStat(pid)
		if !ok {
			continue
		}
		if state == 'Z' && ppid == d.cmd.Process.Pid {
			zombies++
			continue
		}
		comm, _ := os.ReadFile(filepath.Join(filepath.Dir(p), "comm"))
		cg, _ := os.ReadFile(filepath.Join(filepath.Dir(p), "cgroup"))
		if state != 'Z' && string(comm) == "pause\n" && strings.Contains(string(cg), cgroupParent+"/") {
			live++
		}
	}
	return live, zombies
}

func countEntries(dir string) int {
	entries, _ := os.ReadDir(dir)
	return len(entries)
}

// TestKillDuringOperations kills skiffd with SIGKILL at different moments
// of a pod's whole life — during RunPodSandbox (CNI ADD beside the
// pause's start by the shim's helper), CreateContainer, StartContainer,
// StopContainer, RemoveContainer, StopPodSandbox or RemovePodSandbox —
// restarts it each time, and finally removes what it lists: nothing may be
// left behind. The second series starts from a running pod and kills
// skiffd during its stop and removal: the pause's kill, its removal by the
// helper, CNI DEL and the record that DEL ran.
func TestKillDuringOperations(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	d.pull(t, "busybox")
	before, netBefore := resources(t, d), networkResources(t, d)
	chaos := func(delay time.Duration, ops func()) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			ops()
		}()
		time.Sleep(delay)
		d.signal(syscall.SIGKILL, 5*time.Second)
		<-done
		d = startDaemonIn(t, d.dir, daemonArgs, mirrorArgs(reg)...)
	}
	for i, delay := range []time.Duration{0, 10, 20, 30, 45, 60, 100, 150, 250, 400} {
		podCfg := podConfig(t, fmt.Sprint("chaos", i))
		chaos(delay*time.Millisecond, func() { lifecycle(d, podCfg) })
	}
	for i, delay := range []time.Duration{0, 5, 15, 30, 60, 100} {
		podCfg := podConfig(t, fmt.Sprint("stop", i))
		pod := d.runPod(t, podCfg)
		d.runContainer(t, pod, podCfg, "c", "exec sleep 1000")
		chaos(delay*time.Millisecond, func() { stopAndRemove(d, pod) })
	}
	pods, err := d.runtime.ListPodSandbox(ctxT(t), &runtime.ListPodSandboxRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		d.removePod(t, p.Id)
	}
	if ctrs, _ := d.runtime.ListContainers(ctxT(t), &runtime.ListContainersRequest{}); len(ctrs.GetContainers()) != 0 {
		t.Errorf("containers left: %v", ctrs.Containers)
	}
	if after := resources(t, d); after != before {
		t.Errorf("leaked after crashes: before %+v, after %+v", before, after)
	}
	if after := networkResources(t, d); after != netBefore {
		t.Errorf("network leaked after crashes: before %+v, after %+v", netBefore, after)
	}
}

// stopAndRemove stops and removes pod, giving up at the first error (the
// daemon is killed under it).
func stopAndRemove(d *daemon, pod string) {
	ctx := context.Background()
	if _, err := d.runtime.StopPodSandbox(ctx, &runtime.StopPodSandboxRequest{PodSandboxId: pod}); err != nil {
		return
	}
	d.runtime.RemovePodSandbox(ctx, &runtime.RemovePodSandboxRequest{PodSandboxId: pod})
}

// lifecycle runs a pod with one container through its whole life, giving
// up at the first error (the daemon is killed under it).
func lifecycle(d *daemon, podCfg *runtime.PodSandboxConfig) {
	ctx := context.Background()
	pod, err := d.runtime.RunPodSandbox(ctx, &runtime.RunPodSandboxRequest{Config: podCfg})
	if err != nil {
		return
	}
	c, err := d.runtime.CreateContainer(ctx, &runtime.CreateContainerRequest{PodSandboxId: pod.PodSandboxId, SandboxConfig: podCfg, Config: &runtime.ContainerConfig{
		Metadata: &runtime.ContainerMetadata{Name: "c"}, Image: &runtime.ImageSpec{Image: "busybox"},
		Command: []string{"sleep", "1000"}, Linux: &runtime.LinuxContainerConfig{},
	}})
	if err != nil {
		return
	}
	calls := []func() error{
		func() error {
			_, err := d.runtime.StartContainer(ctx, &runtime.StartContainerRequest{ContainerId: c.ContainerId})
			return err
		},
		func() error {
			_, err := d.runtime.StopContainer(ctx, &runtime.StopContainerRequest{ContainerId: c.ContainerId})
			return err
		},
		func() error {
			_, err := d.runtime.RemoveContainer(ctx, &runtime.RemoveContainerRequest{ContainerId: c.ContainerId})
			return err
		},
		func() error {
			_, err := d.runtime.StopPodSandbox(ctx, &runtime.StopPodSandboxRequest{PodSandboxId: pod.PodSandboxId})
			return err
		},
		func() error {
			_, err := d.runtime.RemovePodSandbox(ctx, &runtime.RemovePodSandboxRequest{PodSandboxId: pod.PodSandboxId})
			return err
		},
	}
	for _, call := range calls {
		if call() != nil {
			return
		}
	}
}

// TestPauseImage runs pods with a configured pause image instead of
// skiff's own: it is pulled on first use, pinned, mounted per pod and
// unmounted with the pod.
func TestPauseImage(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, append(mirrorArgs(reg), "--pause-image", "registry.k8s.io/pause:3.9")...)
	d.pull(t, "busybox")
	before := resources(t, d)
	podCfg := podConfig(t, "paused")
	pod := d.runPod(t, podCfg)
	if st := d.imageStatus(t, "registry.k8s.io/pause:3.9"); st == nil || !st.Pinned {
		t.Fatalf("pause image status %v: want pulled and pinned", st)
	}
	if st := d.imageStatus(t, "busybox"); st.Pinned {
		t.Errorf("busybox is pinned")
	}
	ctr := d.runContainer(t, pod, podCfg, "c", "exec sleep 1000")
	if res, err := d.execSync(t, ctr, 10, "hostname"); err != nil || string(res.Stdout) != "paused\n" {
		t.Errorf("ExecSync in a pod with an image pause = %v, %v", res, err)
	}
	d.removePod(t, pod)
	if after := resources(t, d); after != before {
		t.Errorf("leaked: before %+v, after %+v", before, after)
	}
}

func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Verbose() {
		// client-go logs every streaming session that ends with its
		// connection closed, as the tests' hang-ups do on purpose; the
		// tests check each session's outcome themselves.
		klog.SetOutput(io.Discard)
		klog.LogToStderr(false)
	}
	cleanNet, err := setUpHostNet()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: the tests' network: %v\n", err)
		os.Exit(2)
	}
	code := m.Run()
	if err := cleanNet(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: clean up the tests' network: %v\n", err)
		code = max(code, 1)
	}
	// The pods' cgroup parent is the tests' own; remove its empty dirs.
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*" + cgroupParent)
	for _, d := range append(dirs, "/sys/fs/cgroup/unified"+cgroupParent) {
		os.Remove(d)
	}
	os.Exit(code)
}

func TestRemoveImageInUseRefused(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	d.pull(t, "busybox")
	podCfg := podConfig(t, "inuse")
	pod := d.runPod(t, podCfg)
	defer d.removePod(t, pod)
	ctr := d.runContainer(t, pod, podCfg, "c", "exec sleep 1000")
	_, err := d.images.RemoveImage(ctxT(t), &runtime.RemoveImageRequest{Image: &runtime.ImageSpec{Image: "busybox"}})
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), ctr) {
		t.Fatalf("RemoveImage of an image in use = %v, want FailedPrecondition naming %s", err, ctr)
	}
	if _, err := d.runtime.RemoveContainer(ctxT(t), &runtime.RemoveContainerRequest{ContainerId: ctr}); err != nil {
		t.Fatal(err)
	}
	d.removeImage(t, "busybox")
}
