package runner

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/flowcontrol"

	"github.com/skiffrt/skiff/controlplane/agent/actions"
	"github.com/skiffrt/skiff/controlplane/agent/fakecri"
	"github.com/skiffrt/skiff/controlplane/agent/podspec"
	"github.com/skiffrt/skiff/controlplane/agent/state"
	"github.com/skiffrt/skiff/controlplane/agent/volume"
)

type sources struct{ cms map[string]*corev1.ConfigMap }

func (s sources) ConfigMap(_ context.Context, ns, name string) (*corev1.ConfigMap, error) {
	if cm, ok := s.cms[name]; ok {
		return cm, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "configmaps"}, name)
}

func (s sources) Secret(_ context.Context, ns, name string) (*corev1.Secret, error) {
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, name)
}

func (s sources) Claim(_ context.Context, ns, name string) (*corev1.PersistentVolumeClaim, error) {
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "persistentvolumeclaims"}, name)
}

func (s sources) Volume(_ context.Context, name string) (*corev1.PersistentVolume, error) {
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "persistentvolumes"}, name)
}

func (s sources) Token(context.Context, *corev1.Pod, string, string, int64) (string, error) {
	return "", errors.New("no tokens")
}

type noMount struct{}

func (noMount) MountTmpfs(string, int64) error { return nil }
func (noMount) Unmount(string) error           { return nil }

type fakeCgroups struct{ removed []string }

func (f *fakeCgroups) RemovePod(parent string) error {
	f.removed = append(f.removed, parent)
	return nil
}

type fixture struct {
	t       *testing.T
	cri     *fakecri.Runtime
	r       *Runner
	cgroups *fakeCgroups
	backoff *flowcontrol.Backoff
	root    string
}

func newFixture(t *testing.T, images ...string) *fixture {
	root := t.TempDir()
	cri := fakecri.New(images...)
	cg := &fakeCgroups{}
	src := sources{cms: map[string]*corev1.ConfigMap{"cfg": {Data: map[string]string{"greeting": "hi"}}}}
	r := New(cri, cri, volume.NewManager(filepath.Join(root, "agent"), src, noMount{}), src, nil, cg, Node{
		LogRoot: filepath.Join(root, "logs"), CgroupRoot: "/kubepods", CgroupDriver: podspec.CgroupfsDriver,
		MemoryCapacity: 1 << 30, HostIPs: []string{"192.0.2.1"},
	})
	return &fixture{t: t, cri: cri, r: r, cgroups: cg, backoff: flowcontrol.NewBackOff(10*time.Second, 300*time.Second), root: root}
}

// sync runs one full sync as the agent's worker does and returns the
// waiting reasons.
func (f *fixture) sync(pod *corev1.Pod) map[string]actions.Waiting {
	f.t.Helper()
	ctx := context.Background()
	st, err := state.Read(ctx, f.cri, pod.UID)
	if err != nil {
		f.t.Fatal(err)
	}
	in := actions.Input{Pod: pod, State: st, Now: time.Now()}
	if f.backoff != nil {
		in.BackOff = f.backoff
	}
	a := actions.Compute(in)
	res, err := f.r.Sync(ctx, pod, st, a, f.backoff)
	if err != nil {
		f.t.Fatalf("sync: %v", err)
	}
	return res.Waiting
}

func (f *fixture) expectCalls(want ...string) {
	f.t.Helper()
	if got := f.cri.Calls(); !reflect.DeepEqual(got, want) {
		f.t.Errorf("calls\n got %q\nwant %q", got, want)
	}
}

func testPod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "uid-1"},
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyAlways,
			TerminationGracePeriodSeconds: ptr(int64(20)),
			InitContainers:                []corev1.Container{{Name: "init", Image: "busybox", ImagePullPolicy: corev1.PullIfNotPresent}},
			Containers: []corev1.Container{{Name: "app", Image: "busybox", ImagePullPolicy: corev1.PullIfNotPresent,
				TerminationMessagePath: "/dev/termination-log",
				Env:                    []corev1.EnvVar{{Name: "GREETING", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, Key: "greeting"}}}},
				Lifecycle:              &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"drain"}}}}}},
		},
		Status: corev1.PodStatus{QOSClass: corev1.PodQOSBestEffort},
	}
}

func ptr[T any](v T) *T { return &v }

func TestSyncLifecycle(t *testing.T) {
	f := newFixture(t)
	pod := testPod()

	f.sync(pod)
	f.expectCalls("RunPodSandbox", "PullImage busybox", "CreateContainer init", "StartContainer init")
	sbs := f.cri.Sandboxes()
	sb := sbs["sb1"]
	if sb.Config.LogDirectory != filepath.Join(f.root, "logs", "ns_web_uid-1") || sb.Config.Linux.CgroupParent != "/kubepods/besteffort/poduid-1" {
		t.Errorf("sandbox config %v", sb.Config)
	}
	if _, err := os.Stat(sb.Config.LogDirectory); err != nil {
		t.Errorf("log dir not made: %v", err)
	}

	f.sync(pod)
	f.expectCalls() // init still running

	f.cri.Exit("init", 0)
	f.sync(pod)
	f.expectCalls("CreateContainer app", "StartContainer app")
	app := newest(f.cri, "app")
	if app.Config.LogPath != "app/0.log" || string(app.Config.Envs[0].Value) != "hi" || app.Config.Image.Image != "busybox" {
		t.Errorf("app config: log %q env %v image %v", app.Config.LogPath, app.Config.Envs, app.Config.Image)
	}
	if len(app.Config.Mounts) != 1 || app.Config.Mounts[0].ContainerPath != "/dev/termination-log" {
		t.Errorf("mounts %v", app.Config.Mounts)
	}

	// It crashes: restarted at once (attempt 1), then held in back-off.
	f.cri.Exit("app", 1)
	f.sync(pod)
	f.expectCalls("CreateContainer app", "StartContainer app")
	if app := newest(f.cri, "app"); app.Config.LogPath != "app/1.log" || app.Config.Metadata.Attempt != 1 {
		t.Errorf("restart: log %q attempt %d", app.Config.LogPath, app.Config.Metadata.Attempt)
	}
	f.cri.Exit("app", 1)
	if w := f.sync(pod); w["app"].Reason != actions.ReasonCrashLoop {
		t.Errorf("waiting %v, want CrashLoopBackOff", w)
	}
	f.expectCalls()
}

func newest(cri *fakecri.Runtime, name string) fakecri.Container {
	var out fakecri.Container
	for _, c := range cri.Containers() {
		if c.Config.Metadata.Name == name && !c.Create.Before(out.Create) {
			out = c
		}
	}
	return out
}

func TestStartFailures(t *testing.T) {
	tests := []struct {
		name    string
		images  []string
		mutate  func(*corev1.Container)
		fail    map[string]error
		reason  string
		calls   []string
		message string
	}{
		{name: "never pulled, absent", mutate: func(c *corev1.Container) { c.ImagePullPolicy = corev1.PullNever },
			reason: ReasonErrImageNeverPull, calls: []string{"RunPodSandbox"}, message: "is not present with pull policy of Never"},
		{name: "if not present, present", images: []string{"busybox"},
			calls: []string{"RunPodSandbox", "CreateContainer app", "StartContainer app"}},
		{name: "always pulls", images: []string{"busybox"}, mutate: func(c *corev1.Container) { c.ImagePullPolicy = corev1.PullAlways },
			calls: []string{"RunPodSandbox", "PullImage busybox", "CreateContainer app", "StartContainer app"}},
		{name: "pull fails", fail: map[string]error{"PullImage busybox": errors.New("no route")},
			reason: ReasonErrImagePull, calls: []string{"RunPodSandbox", "PullImage busybox"}, message: "no route"},
		{name: "missing configmap", images: []string{"busybox"}, mutate: func(c *corev1.Container) {
			c.Env[0].ValueFrom.ConfigMapKeyRef.Name = "gone"
		}, reason: ReasonCreateConfigError, calls: []string{"RunPodSandbox"}, message: `configmap "gone" not found`},
		{name: "run as non-root, image root", images: []string{"busybox"}, mutate: func(c *corev1.Container) {
			c.SecurityContext = &corev1.SecurityContext{RunAsNonRoot: ptr(true)}
		}, reason: ReasonCreateConfigError, calls: []string{"RunPodSandbox"}, message: "image will run as root"},
		{name: "create fails", images: []string{"busybox"}, fail: map[string]error{"CreateContainer app": errors.New("bad spec")},
			reason: ReasonCreateError, calls: []string{"RunPodSandbox", "CreateContainer app"}, message: "bad spec"},
		{name: "start fails", images: []string{"busybox"}, fail: map[string]error{"StartContainer app": errors.New("exec format error")},
			reason: ReasonRunError, calls: []string{"RunPodSandbox", "CreateContainer app", "StartContainer app"}, message: "exec format"},
		{name: "postStart fails: killed", images: []string{"busybox"}, mutate: func(c *corev1.Container) {
			c.Lifecycle.PostStart = &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"fail"}}}
			c.Lifecycle.PreStop = nil
		}, reason: ReasonPostStartError, calls: []string{"RunPodSandbox", "CreateContainer app", "StartContainer app", "ExecSync app [fail]", "StopContainer app 20s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.images...)
			f.cri.Fail = tt.fail
			f.cri.ExecExit = func(_ string, cmd []string) int32 {
				if cmd[0] == "fail" {
					return 1
				}
				return 0
			}
			pod := testPod()
			pod.Spec.InitContainers = nil
			if tt.mutate != nil {
				tt.mutate(&pod.Spec.Containers[0])
			}
			w := f.sync(pod)
			f.expectCalls(tt.calls...)
			if got := w["app"]; got.Reason != tt.reason || !strings.Contains(got.Message, tt.message) {
				t.Errorf("waiting %+v, want %s with %q", got, tt.reason, tt.message)
			}
		})
	}
}

func TestImagePullBackOff(t *testing.T) {
	f := newFixture(t)
	f.cri.Fail = map[string]error{"PullImage busybox": errors.New("unreachable")}
	pod := testPod()
	pod.Spec.InitContainers = nil
	if w := f.sync(pod); w["app"].Reason != ReasonErrImagePull {
		t.Fatalf("first: %v", w)
	}
	if w := f.sync(pod); w["app"].Reason != ReasonImagePullBackOff {
		t.Fatalf("second, within the back-off: %v", w)
	}
	f.cri.Calls()
}

func TestKillAndRemove(t *testing.T) {
	f := newFixture(t, "busybox")
	pod := testPod()
	pod.Spec.InitContainers = nil
	f.sync(pod)
	f.cri.Calls()
	st, _ := state.Read(context.Background(), f.cri, pod.UID)

	deleted := pod.DeepCopy()
	deleted.DeletionGracePeriodSeconds = ptr(int64(5))
	if err := f.r.KillPod(context.Background(), deleted, st, nil); err != nil {
		t.Fatal(err)
	}
	f.expectCalls("ExecSync app [drain]", "StopContainer app 5s", "StopPodSandbox sb1")

	// Once the pod is gone from the API, the annotations still give the
	// hook and the grace period.
	f.sync(pod)
	f.cri.Calls()
	st, _ = state.Read(context.Background(), f.cri, pod.UID)
	if err := f.r.KillPod(context.Background(), nil, st, nil); err != nil {
		t.Fatal(err)
	}
	calls := f.cri.Calls()
	if !slices.Contains(calls, "ExecSync app [drain]") || !slices.Contains(calls, "StopContainer app 20s") {
		t.Errorf("kill without the pod: %q", calls)
	}

	st, _ = state.Read(context.Background(), f.cri, pod.UID)
	if err := f.r.RemovePod(context.Background(), pod, st); err != nil {
		t.Fatal(err)
	}
	if len(f.cri.Containers()) != 0 || len(f.cri.Sandboxes()) != 0 {
		t.Errorf("left %v %v", f.cri.Containers(), f.cri.Sandboxes())
	}
	if !reflect.DeepEqual(f.cgroups.removed, []string{"/kubepods/besteffort/poduid-1"}) {
		t.Errorf("cgroups removed %v", f.cgroups.removed)
	}
	if _, err := os.Stat(filepath.Join(f.root, "logs", "ns_web_uid-1")); !os.IsNotExist(err) {
		t.Errorf("log dir left: %v", err)
	}
}

func TestGC(t *testing.T) {
	f := newFixture(t, "busybox")
	pod := testPod()
	pod.Spec.InitContainers = nil
	pod.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
	f.backoff = nil
	for range 4 {
		f.sync(pod)
		f.cri.Exit("app", 1)
	}
	f.sync(pod)
	f.cri.Calls()
	st, _ := state.Read(context.Background(), f.cri, pod.UID)
	if len(st.Containers) != 5 {
		t.Fatalf("%d containers before GC", len(st.Containers))
	}
	if err := f.r.GC(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	st, _ = state.Read(context.Background(), f.cri, pod.UID)
	if len(st.Containers) != 2 || st.Containers[0].RestartCount != 4 || st.Containers[1].RestartCount != 3 {
		t.Errorf("after GC: %d containers", len(st.Containers))
	}
}

func TestAuthFor(t *testing.T) {
	s := &corev1.Secret{Data: map[string][]byte{corev1.DockerConfigJsonKey: []byte(
		`{"auths":{"https://index.docker.io/v1/":{"auth":"dXNlcjpwYXNz"},"registry.example.com:5000":{"username":"u","password":"p"}}}`)}}
	if a := authFor(s, "docker.io"); a == nil || a.Username != "user" || a.Password != "pass" {
		t.Errorf("docker.io: %v", a)
	}
	if a := authFor(s, "registry.example.com:5000"); a == nil || a.Username != "u" {
		t.Errorf("private: %v", a)
	}
	if a := authFor(s, "quay.io"); a != nil {
		t.Errorf("quay.io: %v", a)
	}
}
