package sandbox

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/proc"
	"github.com/skiffrt/skiff/internal/store"
)

func TestRun(t *testing.T) {
	e := newEnv(t, "")
	id := e.run(t, podConfig("web"))
	sb, err := e.m.Get(ctxT(t), id[:10])
	if err != nil {
		t.Fatal(err)
	}
	if sb.State != store.SandboxReady || sb.Name != "k8s_web_ns_uid-web_0" || len(sb.IPs) != 1 || sb.PausePID == 0 {
		t.Errorf("record %+v", sb)
	}
	if want := filepath.Join(e.cfg.NetNSDir, id); sb.NetNS != want || !e.kernel.NetNSExists(want) {
		t.Errorf("netns %q, want %q pinned", sb.NetNS, want)
	}
	if e.network.attached[id] != sb.NetNS {
		t.Errorf("network has %v", e.network.attached)
	}
	for _, f := range []string{"hostname", "hosts", "resolv.conf", "shm"} {
		if _, err := os.Stat(filepath.Join(e.cfg.RunDir, id, f)); err != nil {
			t.Errorf("pod file: %v", err)
		}
	}
	pause := e.pauses.get(id)
	if pause == nil || pause.spec.Root.Path != e.cfg.PauseRootfs || pause.spec.Process.Args[0] != PauseBinary {
		t.Fatalf("pause %+v", pause)
	}
	if pauseOf(sb) != pause.p || sb.PauseStartTime == 0 {
		t.Errorf("recorded pause %v, started %v", pauseOf(sb), pause.p)
	}
	if sb.TaskCgroup != pause.spec.Linux.CgroupsPath {
		t.Errorf("cgroup %q, the pause's %q", sb.TaskCgroup, pause.spec.Linux.CgroupsPath)
	}
	hosts, _ := os.ReadFile(filepath.Join(e.cfg.RunDir, id, "hosts"))
	if !strings.Contains(string(hosts), sb.IPs[0]+"\tweb\n") {
		t.Errorf("hosts lacks the pod's IP %s:\n%s", sb.IPs[0], hosts)
	}
}

func TestRunHostNamespaces(t *testing.T) {
	e := newEnv(t, "")
	id := e.run(t, hostPodConfig("host"))
	sb, _ := e.m.Get(ctxT(t), id)
	if sb.NetNS != "" || e.network.count() != 0 || e.kernel.mounts() != 0 {
		t.Errorf("a host-network pod got netns %q, %d attachments, %d shm mounts", sb.NetNS, e.network.count(), e.kernel.mounts())
	}
	if err := e.m.Remove(ctxT(t), id); err != nil {
		t.Fatal(err)
	}
	e.assertNothingLeft(t)
}

func TestRunRefused(t *testing.T) {
	e := newEnv(t, "")
	e.run(t, podConfig("taken"))
	noUID := podConfig("x")
	noUID.Metadata.Uid = ""
	tests := []struct {
		name    string
		cfg     func() (string, error)
		class   error
		message string
	}{
		{"no uid", func() (string, error) { return e.m.Run(ctxT(t), noUID, "") }, errdefs.ErrInvalidArgument, "metadata.uid"},
		{"handler", func() (string, error) { return e.m.Run(ctxT(t), podConfig("y"), "kata") }, errdefs.ErrNotFound, "kata"},
		{"duplicate", func() (string, error) { return e.m.Run(ctxT(t), podConfig("taken"), "") }, errdefs.ErrAlreadyExists, "in use by"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.cfg()
			wantErr(t, err, tt.class, tt.message)
			if n := len(e.st.Sandboxes.List(nil)); n != 1 {
				t.Errorf("%d records, want the first pod's only", n)
			}
		})
	}
}

// TestRunRollback fails each step of Run in turn and checks that what
// the steps before it made is gone.
func TestRunRollback(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name       string
		pauseImage string
		inject     func(*env)
	}{
		{"netns", "", func(e *env) { e.kernel.failNS = boom }},
		{"network", "", func(e *env) { e.network.fail = boom }},
		{"shm", "", func(e *env) { e.kernel.failShm = boom }},
		{"pause image", "registry.k8s.io/pause:3.10", func(e *env) { e.images.config = `{"config":{}}` }},
		{"pause", "", func(e *env) { e.pauses.failNext("Start", boom) }},
		{"pause of an image", "registry.k8s.io/pause:3.10", func(e *env) { e.pauses.failNext("Start", boom) }},
		{"network and pause", "", func(e *env) { e.network.fail = boom; e.pauses.failNext("Start", boom) }},
		{"record", "", func(e *env) { e.records.FailUpdate = boom }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.pauseImage)
			tt.inject(e)
			if _, err := e.m.Run(ctxT(t), podConfig("p"), ""); err == nil {
				t.Fatal("Run succeeded")
			}
			e.assertNothingLeft(t)
		})
	}
}

// rendezvous makes the network's Setup and the pause's Start each wait
// for the other to begin, and reports an error when one began alone:
// the two steps of Run must run at once.
func rendezvous(t *testing.T, e *env) {
	e.network.during, e.pauses.during = meet(t, "CNI ADD", "pause start")
}

// meet returns two hooks that each wait, once, for the other to begin,
// and report an error when one began alone.
func meet(t *testing.T, a, b string) (func(), func()) {
	ca, cb := make(chan struct{}), make(chan struct{})
	hook := func(mine, other chan struct{}, what string) func() {
		var once sync.Once
		return func() {
			once.Do(func() {
				close(mine)
				select {
				case <-other:
				case <-time.After(5 * time.Second):
					t.Errorf("%s began alone: %s and %s ran one after the other", what, a, b)
				}
			})
		}
	}
	return hook(ca, cb, a), hook(cb, ca, b)
}

func TestRunAttachesAndStartsAtOnce(t *testing.T) {
	e := newEnv(t, "")
	rendezvous(t, e)
	id := e.run(t, podConfig("p"))
	if sb, _ := e.m.Get(ctxT(t), id); sb.State != store.SandboxReady || len(sb.IPs) != 1 || sb.PausePID == 0 {
		t.Errorf("record %+v", sb)
	}
}

// TestRunRollbackAtOnce fails the network, the pause or both while the
// other step is under way, and checks that both are undone: no pause,
// no attachment (the IPAM lease goes with CNI DEL), no netns, no mount.
func TestRunRollbackAtOnce(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name   string
		inject func(*env)
		want   string
	}{
		{"network", func(e *env) { e.network.fail = boom }, "pod network"},
		{"pause", func(e *env) { e.pauses.failNext("Start", boom) }, "pause container"},
		{"both", func(e *env) { e.network.fail = boom; e.pauses.failNext("Start", boom) }, "pod network: boom\npause container: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, "")
			rendezvous(t, e)
			tt.inject(e)
			_, err := e.m.Run(ctxT(t), podConfig("p"), "")
			if err == nil || !errors.Is(err, boom) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run: %v, want %q", err, tt.want)
			}
			if n := e.network.teardowns; n != 1 {
				t.Errorf("%d CNI DELs, want 1", n)
			}
			if calls := e.pauses.calls; len(calls) != 2 || !strings.HasPrefix(calls[1], "Stop ") {
				t.Errorf("pause calls %v, want Start then Stop", calls)
			}
			e.assertNothingLeft(t)
		})
	}
}

func TestPauseImage(t *testing.T) {
	e := newEnv(t, "registry.k8s.io/pause:3.10")
	id := e.run(t, podConfig("p"))
	spec := e.pauses.get(id).spec
	if !e.images.pulled || spec.Process.Args[0] != "/pause" || spec.Root.Path != filepath.Join(e.cfg.PauseImageDir, id, "rootfs") {
		t.Errorf("pulled %v, args %q, root %q", e.images.pulled, spec.Process.Args, spec.Root.Path)
	}
	if err := e.m.Remove(ctxT(t), id); err != nil {
		t.Fatal(err)
	}
	e.assertNothingLeft(t)
}

func TestStop(t *testing.T) {
	e := newEnv(t, "")
	id := e.run(t, podConfig("p"))
	for range 2 { // idempotent
		if err := e.m.Stop(ctxT(t), id); err != nil {
			t.Fatal(err)
		}
	}
	sb, _ := e.m.Get(ctxT(t), id)
	if sb.State != store.SandboxNotReady || e.kernel.NetNSExists(sb.NetNS) || e.network.count() != 0 || e.kernel.mounts() != 0 {
		t.Errorf("after Stop: %s, netns there: %v, %d attachments, %d mounts", sb.State, e.kernel.NetNSExists(sb.NetNS), e.network.count(), e.kernel.mounts())
	}
	if pause := e.pauses.get(id); pause != nil {
		t.Errorf("pause %v not stopped", pause.p)
	}
	if len(e.containers.stopped) != 2 || e.containers.stopped[0] != id {
		t.Errorf("containers stopped for %v", e.containers.stopped)
	}
	if err := e.m.Stop(ctxT(t), "unknown"); err != nil {
		t.Errorf("Stop of an unknown pod: %v", err)
	}
}

func TestStopFails(t *testing.T) {
	e := newEnv(t, "")
	id := e.run(t, podConfig("p"))
	e.containers.fail = errdefs.ErrUnavailable
	wantErr(t, e.m.Stop(ctxT(t), id), errdefs.ErrUnavailable, "stop containers")
	wantErr(t, e.m.Remove(ctxT(t), id), errdefs.ErrUnavailable, "stop containers")
	if sb, _ := e.m.Get(ctxT(t), id); sb.State != store.SandboxReady {
		t.Errorf("a failed Stop left the pod %s", sb.State)
	}
	e.containers.fail = nil
	e.pauses.failNext("Stop", errdefs.ErrUnavailable)
	wantErr(t, e.m.Remove(ctxT(t), id), errdefs.ErrUnavailable, "stop pause container")
	e.pauses.failNext("Stop", nil)
	if err := e.m.Remove(ctxT(t), id); err != nil {
		t.Fatal(err)
	}
	e.assertNothingLeft(t)
}

func TestRemove(t *testing.T) {
	e := newEnv(t, "")
	a, b := e.run(t, podConfig("a")), e.run(t, podConfig("b"))
	if err := e.m.Stop(ctxT(t), b); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a, b, a} { // a running pod, a stopped one, again
		if err := e.m.Remove(ctxT(t), id); err != nil {
			t.Fatal(err)
		}
	}
	if len(e.containers.removed) != 2 {
		t.Errorf("containers removed for %v", e.containers.removed)
	}
	e.assertNothingLeft(t)
}

// TestStopRecordsNetworkDown: a completed stop records that the pod left
// its network, so that another stop and the removal run no second CNI
// DEL.
func TestStopRecordsNetworkDown(t *testing.T) {
	e := newEnv(t, "")
	id := e.run(t, podConfig("p"))
	if err := e.m.Stop(ctxT(t), id); err != nil {
		t.Fatal(err)
	}
	sb, _ := e.st.Sandboxes.Get(id)
	if !sb.NetworkDown || sb.State != store.SandboxNotReady {
		t.Errorf("after Stop: network down %v, %s", sb.NetworkDown, sb.State)
	}
	if err := e.m.Stop(ctxT(t), id); err != nil {
		t.Fatal(err)
	}
	if err := e.m.Remove(ctxT(t), id); err != nil {
		t.Fatal(err)
	}
	if e.network.teardowns != 1 {
		t.Errorf("%d CNI DELs, want the stop's only", e.network.teardowns)
	}
	e.assertNothingLeft(t)
}

// TestStopLeavesNetworkWhilePauseStops: the CNI DEL runs while the pause
// stops, and a failure of the pause's stop leaves the pod to the next
// stop or the removal.
func TestStopLeavesNetworkWhilePauseStops(t *testing.T) {
	e := newEnv(t, "")
	id := e.run(t, podConfig("p"))
	e.network.duringDel, e.pauses.duringStop = meet(t, "CNI DEL", "pause stop")
	if err := e.m.Stop(ctxT(t), id); err != nil {
		t.Fatal(err)
	}
	if sb, _ := e.st.Sandboxes.Get(id); !sb.NetworkDown || e.kernel.NetNSExists(sb.NetNS) || e.pauses.get(id) != nil {
		t.Errorf("after Stop: network down %v, netns there %v, pause %v", sb.NetworkDown, e.kernel.NetNSExists(sb.NetNS), e.pauses.get(id))
	}

	id = e.run(t, podConfig("q"))
	e.pauses.failNext("Stop", errdefs.ErrUnavailable)
	wantErr(t, e.m.Stop(ctxT(t), id), errdefs.ErrUnavailable, "stop pause container")
	if sb, _ := e.st.Sandboxes.Get(id); sb.NetworkDown || sb.State != store.SandboxReady {
		t.Errorf("after a failed Stop: network down %v, %s", sb.NetworkDown, sb.State)
	}
	e.pauses.failNext("Stop", nil)
	for _, id := range e.m.List(ctxT(t), nil) {
		if err := e.m.Remove(ctxT(t), id.ID); err != nil {
			t.Fatal(err)
		}
	}
	e.assertNothingLeft(t)
}

// TestRemoveAfterCutShortStop: a stop that ran the CNI DEL but could not
// record it (as in a crash before the write) leaves the pod's network to
// the removal, which runs the DEL again.
func TestRemoveAfterCutShortStop(t *testing.T) {
	e := newEnv(t, "")
	id := e.run(t, podConfig("p"))
	e.records.FailUpdate = errdefs.ErrUnavailable
	wantErr(t, e.m.Stop(ctxT(t), id), errdefs.ErrUnavailable, "")
	e.records.FailUpdate = nil
	if sb, _ := e.st.Sandboxes.Get(id); sb.NetworkDown {
		t.Fatal("network recorded down by a stop that failed")
	}
	if err := e.m.Remove(ctxT(t), id); err != nil {
		t.Fatal(err)
	}
	if e.network.teardowns != 2 {
		t.Errorf("%d CNI DELs, want the stop's and the removal's", e.network.teardowns)
	}
	e.assertNothingLeft(t)
}

func TestGetListCheckTheKernel(t *testing.T) {
	e := newEnv(t, "")
	pauseGone, netnsGone, fine := e.run(t, podConfig("a")), e.run(t, podConfig("b")), e.run(t, podConfig("c"))
	e.pauses.exit(pauseGone)
	e.kernel.RemoveNetNS(filepath.Join(e.cfg.NetNSDir, netnsGone))
	ready := e.m.List(ctxT(t), func(sb store.Sandbox) bool { return sb.State == store.SandboxReady })
	if len(ready) != 3 {
		t.Fatalf("the filter sees the records before the check: %d", len(ready))
	}
	want := map[string]store.SandboxState{pauseGone: store.SandboxNotReady, netnsGone: store.SandboxNotReady, fine: store.SandboxReady}
	for _, sb := range ready {
		if sb.State != want[sb.ID] {
			t.Errorf("%s: %s, want %s", sb.Name, sb.State, want[sb.ID])
		}
	}
	if _, err := e.m.Get(ctxT(t), "nope"); !errdefs.IsNotFound(err) {
		t.Errorf("Get unknown: %v", err)
	}
}

// TestRecover checks pods after a restart from the recorded pause
// process; pods of an older skiffd, whose pause ran under a shim, get
// their pause's start time from libcontainer's state.
func TestRecover(t *testing.T) {
	e := newEnv(t, "")
	live, gone := e.run(t, podConfig("live")), e.run(t, podConfig("gone"))
	older, lost := e.run(t, podConfig("older")), e.run(t, podConfig("lost"))
	e.pauses.exit(gone)
	for _, id := range []string{older, lost} { // as an older skiffd recorded them
		if _, err := e.st.Sandboxes.Update(id, func(s store.Sandbox) (store.Sandbox, error) {
			s.PauseStartTime = 0
			return s, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	e.pauses.adopt = map[string]proc.ID{older: e.pauses.get(older).p}
	e.m.Recover(ctxT(t))
	for id, want := range map[string]store.SandboxState{
		live: store.SandboxReady, gone: store.SandboxNotReady, older: store.SandboxReady, lost: store.SandboxNotReady,
	} {
		if sb, _ := e.st.Sandboxes.Get(id); sb.State != want {
			t.Errorf("%s: %s, want %s", sb.Name, sb.State, want)
		}
	}
	if sb, _ := e.st.Sandboxes.Get(older); pauseOf(sb) != e.pauses.get(older).p {
		t.Errorf("adopted pause recorded as %v, want %v", pauseOf(sb), e.pauses.get(older).p)
	}
}

func TestUpdateResourcesRecords(t *testing.T) {
	e := newEnv(t, "")
	id := e.run(t, podConfig("p"))
	res := &runtime.LinuxContainerResources{CpuShares: 1024, MemoryLimitInBytes: 256 << 20}
	if err := e.m.UpdateResources(ctxT(t), id, nil, res); err != nil {
		t.Fatal(err)
	}
	over := &runtime.LinuxContainerResources{CpuShares: 10}
	if err := e.m.UpdateResources(ctxT(t), id, over, nil); err != nil {
		t.Fatal(err)
	}
	sb, _ := e.m.Get(ctxT(t), id)
	if l := sb.Config.Msg.GetLinux(); l.GetResources().GetMemoryLimitInBytes() != 256<<20 || l.GetOverhead().GetCpuShares() != 10 {
		t.Errorf("recorded %v", l)
	}
	if err := e.m.Stop(ctxT(t), id); err != nil {
		t.Fatal(err)
	}
	if err := e.m.UpdateResources(ctxT(t), id, nil, res); !errors.Is(err, errdefs.ErrFailedPrecondition) {
		t.Errorf("update of a stopped pod: %v", err)
	}
}
