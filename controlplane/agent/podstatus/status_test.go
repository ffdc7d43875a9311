package podstatus

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiffrt/skiff/controlplane/agent/actions"
	"github.com/skiffrt/skiff/controlplane/agent/state"
)

var (
	t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	t1 = t0.Add(time.Minute)
)

// fakeProbes reports the IDs it lists as ready or started.
type fakeProbes struct{ ready, started map[string]bool }

func (f fakeProbes) Ready(id string) bool   { return f.ready[id] }
func (f fakeProbes) Started(id string) bool { return f.started[id] }

func newPod(policy corev1.RestartPolicy, inits []string, ctrs ...string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", UID: "u"},
		Spec: corev1.PodSpec{RestartPolicy: policy}, Status: corev1.PodStatus{Phase: corev1.PodPending, QOSClass: corev1.PodQOSBestEffort}}
	for _, n := range inits {
		p.Spec.InitContainers = append(p.Spec.InitContainers, corev1.Container{Name: n, Image: "img"})
	}
	for _, n := range ctrs {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: n, Image: "img"})
	}
	return p
}

func sandbox() *state.Sandbox {
	return &state.Sandbox{ID: "sb", Ready: true, IPs: []string{"10.88.0.7"}}
}

func running(name string, restarts int) *state.Container {
	c := &state.Container{ID: name + "-id", State: state.Running, StartedAt: t0, ImageRef: "sha256:1"}
	c.Name, c.RestartCount = name, restarts
	return c
}

func exited(name string, code int32, restarts int) *state.Container {
	c := &state.Container{ID: name + "-id" + string(rune('0'+restarts)), State: state.Exited, ExitCode: code, StartedAt: t0, FinishedAt: t1}
	c.Name, c.RestartCount = name, restarts
	return c
}

func condition(s corev1.PodStatus, t corev1.PodConditionType) corev1.PodCondition {
	for _, c := range s.Conditions {
		if c.Type == t {
			return c
		}
	}
	return corev1.PodCondition{}
}

func TestPhaseAndConditions(t *testing.T) {
	tests := []struct {
		name                             string
		pod                              *corev1.Pod
		st                               *state.Pod
		probes                           Probes
		waiting                          map[string]actions.Waiting
		phase                            corev1.PodPhase
		initialized, ctrsReady, podReady corev1.ConditionStatus
		readyReason                      string
	}{
		{name: "nothing yet", pod: newPod(corev1.RestartPolicyAlways, nil, "a"), st: &state.Pod{},
			phase: corev1.PodPending, initialized: "True", ctrsReady: "False", podReady: "False", readyReason: ReasonNotReady},
		{name: "running without probes is ready", pod: newPod(corev1.RestartPolicyAlways, nil, "a"),
			st:    &state.Pod{Sandboxes: []*state.Sandbox{sandbox()}, Containers: []*state.Container{running("a", 0)}},
			phase: corev1.PodRunning, initialized: "True", ctrsReady: "True", podReady: "True"},
		{name: "readiness probe not passed yet", pod: func() *corev1.Pod {
			p := newPod(corev1.RestartPolicyAlways, nil, "a")
			p.Spec.Containers[0].ReadinessProbe = &corev1.Probe{}
			return p
		}(), st: &state.Pod{Sandboxes: []*state.Sandbox{sandbox()}, Containers: []*state.Container{running("a", 0)}}, probes: fakeProbes{},
			phase: corev1.PodRunning, initialized: "True", ctrsReady: "False", podReady: "False", readyReason: ReasonNotReady},
		{name: "readiness probe passed", pod: func() *corev1.Pod {
			p := newPod(corev1.RestartPolicyAlways, nil, "a")
			p.Spec.Containers[0].ReadinessProbe = &corev1.Probe{}
			return p
		}(), st: &state.Pod{Sandboxes: []*state.Sandbox{sandbox()}, Containers: []*state.Container{running("a", 0)}}, probes: fakeProbes{ready: map[string]bool{"a-id": true}},
			phase: corev1.PodRunning, initialized: "True", ctrsReady: "True", podReady: "True"},
		{name: "init container running", pod: newPod(corev1.RestartPolicyAlways, []string{"i"}, "a"),
			st:    &state.Pod{Sandboxes: []*state.Sandbox{sandbox()}, Containers: []*state.Container{running("i", 0)}},
			phase: corev1.PodPending, initialized: "False", ctrsReady: "False", podReady: "False", readyReason: ReasonNotReady},
		{name: "init failed under never", pod: newPod(corev1.RestartPolicyNever, []string{"i"}, "a"),
			st:    &state.Pod{Sandboxes: []*state.Sandbox{sandbox()}, Containers: []*state.Container{exited("i", 1, 0)}},
			phase: corev1.PodFailed, initialized: "False", ctrsReady: "False", podReady: "False", readyReason: ReasonNotReady},
		{name: "all succeeded under onFailure", pod: newPod(corev1.RestartPolicyOnFailure, nil, "a"),
			st:    &state.Pod{Sandboxes: []*state.Sandbox{sandbox()}, Containers: []*state.Container{exited("a", 0, 0)}},
			phase: corev1.PodSucceeded, initialized: "True", ctrsReady: "False", podReady: "False", readyReason: ReasonCompleted},
		{name: "failed under never", pod: newPod(corev1.RestartPolicyNever, nil, "a", "b"),
			st:    &state.Pod{Sandboxes: []*state.Sandbox{sandbox()}, Containers: []*state.Container{exited("a", 0, 0), exited("b", 2, 0)}},
			phase: corev1.PodFailed, initialized: "True", ctrsReady: "False", podReady: "False", readyReason: ReasonNotReady},
		{name: "exited under always stays running", pod: newPod(corev1.RestartPolicyAlways, nil, "a"),
			st:    &state.Pod{Sandboxes: []*state.Sandbox{sandbox()}, Containers: []*state.Container{exited("a", 0, 0)}},
			phase: corev1.PodRunning, initialized: "True", ctrsReady: "False", podReady: "False", readyReason: ReasonNotReady},
		{name: "crash loop: running phase", pod: newPod(corev1.RestartPolicyAlways, nil, "a"),
			st:      &state.Pod{Sandboxes: []*state.Sandbox{sandbox()}, Containers: []*state.Container{exited("a", 1, 3)}},
			waiting: map[string]actions.Waiting{"a": {Reason: "CrashLoopBackOff", Message: "back-off 40s"}},
			phase:   corev1.PodRunning, initialized: "True", ctrsReady: "False", podReady: "False", readyReason: ReasonNotReady},
		{name: "image pull error: pending", pod: newPod(corev1.RestartPolicyAlways, nil, "a"), st: &state.Pod{Sandboxes: []*state.Sandbox{sandbox()}},
			waiting: map[string]actions.Waiting{"a": {Reason: "ErrImagePull"}},
			phase:   corev1.PodPending, initialized: "True", ctrsReady: "False", podReady: "False", readyReason: ReasonNotReady},
		{name: "terminal phase is kept", pod: func() *corev1.Pod {
			p := newPod(corev1.RestartPolicyNever, nil, "a")
			p.Status.Phase = corev1.PodSucceeded
			return p
		}(), st: &state.Pod{}, phase: corev1.PodSucceeded, initialized: "True", ctrsReady: "False", podReady: "False", readyReason: ReasonCompleted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Generate(Input{Pod: tt.pod, State: tt.st, Probes: tt.probes, Waiting: tt.waiting, HostIPs: []string{"192.0.2.1"}, RuntimeName: "skiff", Now: t1})
			if s.Phase != tt.phase {
				t.Errorf("phase %s, want %s", s.Phase, tt.phase)
			}
			got := []corev1.ConditionStatus{condition(s, corev1.PodInitialized).Status, condition(s, corev1.ContainersReady).Status, condition(s, corev1.PodReady).Status}
			want := []corev1.ConditionStatus{tt.initialized, tt.ctrsReady, tt.podReady}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("conditions Initialized/ContainersReady/Ready = %v, want %v", got, want)
					break
				}
			}
			if r := condition(s, corev1.PodReady).Reason; r != tt.readyReason {
				t.Errorf("Ready reason %q, want %q", r, tt.readyReason)
			}
			if condition(s, corev1.PodScheduled).Status != corev1.ConditionTrue {
				t.Error("PodScheduled must be true on a node")
			}
		})
	}
}

func TestContainerStatuses(t *testing.T) {
	pod := newPod(corev1.RestartPolicyAlways, []string{"init"}, "a", "b")
	pod.Spec.Containers[1].StartupProbe = &corev1.Probe{}
	st := &state.Pod{Sandboxes: []*state.Sandbox{sandbox()}, Containers: []*state.Container{
		running("a", 2), exited("a", 137, 1), running("b", 0), exited("init", 0, 0),
	}}
	s := Generate(Input{Pod: pod, State: st, Probes: fakeProbes{}, HostIPs: []string{"192.0.2.1"}, RuntimeName: "skiff", Now: t1})
	a, b, init := s.ContainerStatuses[0], s.ContainerStatuses[1], s.InitContainerStatuses[0]
	if a.RestartCount != 2 || a.State.Running == nil || a.ContainerID != "skiff://a-id" || a.ImageID != "sha256:1" || a.Image != "img" {
		t.Errorf("a: %+v", a)
	}
	if lt := a.LastTerminationState.Terminated; lt == nil || lt.ExitCode != 137 || lt.Reason != "Error" || lt.ContainerID != "skiff://a-id1" {
		t.Errorf("a lastState: %+v", a.LastTerminationState)
	}
	if !a.Ready || !*a.Started {
		t.Errorf("a without probes: ready %v started %v", a.Ready, *a.Started)
	}
	if b.Ready || *b.Started {
		t.Errorf("b with a startup probe not passed: ready %v started %v", b.Ready, *b.Started)
	}
	if init.State.Terminated == nil || init.State.Terminated.Reason != "Completed" || !init.Ready || init.Started != nil {
		t.Errorf("init: %+v", init)
	}
	if s.PodIP != "10.88.0.7" || len(s.PodIPs) != 1 || s.HostIP != "192.0.2.1" || s.StartTime == nil || s.QOSClass != corev1.PodQOSBestEffort {
		t.Errorf("pod: ip %q %v host %q start %v qos %q", s.PodIP, s.PodIPs, s.HostIP, s.StartTime, s.QOSClass)
	}
	if c := condition(s, corev1.ContainersReady); c.Message != "containers with unready status: [b]" {
		t.Errorf("ContainersReady message %q", c.Message)
	}
}

func TestWaitingReasons(t *testing.T) {
	pod := newPod(corev1.RestartPolicyAlways, []string{"init"}, "a")
	s := Generate(Input{Pod: pod, State: &state.Pod{}, Now: t1})
	if w := s.ContainerStatuses[0].State.Waiting; w == nil || w.Reason != ReasonPodInitializing {
		t.Errorf("before init: %+v", s.ContainerStatuses[0].State)
	}
	if w := s.InitContainerStatuses[0].State.Waiting; w == nil || w.Reason != ReasonPodInitializing {
		t.Errorf("init not run: %+v", s.InitContainerStatuses[0].State)
	}
	st := &state.Pod{Sandboxes: []*state.Sandbox{sandbox()}, Containers: []*state.Container{exited("a", 1, 4), exited("init", 0, 0)}}
	s = Generate(Input{Pod: pod, State: st, Waiting: map[string]actions.Waiting{"a": {Reason: "CrashLoopBackOff", Message: "back-off 1m20s restarting failed container=a pod=p_ns(u)"}}, Now: t1})
	a := s.ContainerStatuses[0]
	if a.State.Waiting == nil || a.State.Waiting.Reason != "CrashLoopBackOff" || a.LastTerminationState.Terminated == nil || a.LastTerminationState.Terminated.ExitCode != 1 || a.RestartCount != 4 {
		t.Errorf("crash loop status: %+v", a)
	}
}

func TestTransitionTimesAndKeptConditions(t *testing.T) {
	pod := newPod(corev1.RestartPolicyAlways, nil, "a")
	old := metav1.NewTime(t0)
	pod.Status.Conditions = []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: old},
		{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: old},
		{Type: corev1.PodReady, Status: corev1.ConditionFalse, LastTransitionTime: old},
		{Type: "example.com/gate", Status: corev1.ConditionTrue, LastTransitionTime: old},
	}
	pod.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: "example.com/gate"}}
	st := &state.Pod{Sandboxes: []*state.Sandbox{sandbox()}, Containers: []*state.Container{running("a", 0)}}
	s := Generate(Input{Pod: pod, State: st, Now: t1})
	if c := condition(s, corev1.PodInitialized); !c.LastTransitionTime.Equal(&old) {
		t.Errorf("unchanged condition moved: %v", c.LastTransitionTime)
	}
	if c := condition(s, corev1.PodReady); c.Status != corev1.ConditionTrue || !c.LastTransitionTime.Time.Equal(t1) {
		t.Errorf("Ready with its gate true: %+v", c)
	}
	if c := condition(s, "example.com/gate"); c.Status != corev1.ConditionTrue {
		t.Errorf("a gate's condition must be kept: %+v", s.Conditions)
	}
	pod.Status.Conditions[3].Status = corev1.ConditionFalse
	if c := condition(Generate(Input{Pod: pod, State: st, Now: t1}), corev1.PodReady); c.Status != corev1.ConditionFalse || c.Reason != ReasonReadinessGates {
		t.Errorf("Ready with its gate false: %+v", c)
	}
}
