package actions

import (
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/flowcontrol"
	testclock "k8s.io/utils/clock/testing"

	"github.com/skiffrt/skiff/controlplane/agent/podspec"
	"github.com/skiffrt/skiff/controlplane/agent/state"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// fakeProbes fails the containers whose IDs it lists.
type fakeProbes struct{ liveness, startup map[string]bool }

func (f fakeProbes) LivenessFailed(id string) bool { return f.liveness[id] }
func (f fakeProbes) StartupFailed(id string) bool  { return f.startup[id] }

func pod(policy corev1.RestartPolicy, inits []string, ctrs ...string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", UID: "uid"}, Spec: corev1.PodSpec{RestartPolicy: policy}}
	for _, n := range inits {
		p.Spec.InitContainers = append(p.Spec.InitContainers, corev1.Container{Name: n, Image: "img"})
	}
	for _, n := range ctrs {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: n, Image: "img"})
	}
	return p
}

func ready(attempt uint32) *state.Sandbox {
	return &state.Sandbox{ID: "sb", Attempt: attempt, Ready: true, IPs: []string{"10.88.0.2"}}
}

// ctr is a container of pod p in state s; exit code and finish time for
// exited ones.
func ctr(p *corev1.Pod, name string, s state.ContainerState, exit int32, finished time.Time) *state.Container {
	c := &state.Container{ID: name + "-id", State: s, ExitCode: exit, FinishedAt: finished}
	c.Name = name
	c.Hash = podspec.Hash(&corev1.Container{Name: name, Image: "img"})
	return c
}

func names(starts []Start) []string {
	var out []string
	for _, s := range starts {
		out = append(out, s.Container.Name)
	}
	return out
}

func kills(ks []Kill) []string {
	var out []string
	for _, k := range ks {
		out = append(out, k.Name+":"+k.Reason)
	}
	return out
}

func TestCompute(t *testing.T) {
	always := pod(corev1.RestartPolicyAlways, nil, "a", "b")
	never := pod(corev1.RestartPolicyNever, nil, "a")
	onFailure := pod(corev1.RestartPolicyOnFailure, nil, "a")
	withInit := pod(corev1.RestartPolicyAlways, []string{"i1", "i2"}, "a")
	initNever := pod(corev1.RestartPolicyNever, []string{"i1"}, "a")
	changed := always.DeepCopy()
	changed.Spec.Containers[0].Image = "img2"

	type want struct {
		killPod, create bool
		attempt         uint32
		init            string
		start, kill     []string
	}
	tests := []struct {
		name   string
		pod    *corev1.Pod
		st     *state.Pod
		probes fakeProbes
		want   want
	}{
		{name: "new pod: sandbox and all containers", pod: always, st: &state.Pod{},
			want: want{killPod: true, create: true, start: []string{"a", "b"}}},
		{name: "new pod with init containers: the first one only", pod: withInit, st: &state.Pod{},
			want: want{killPod: true, create: true, init: "i1"}},
		{name: "running: nothing to do", pod: always,
			st: &state.Pod{Sandboxes: []*state.Sandbox{ready(0)}, Containers: []*state.Container{ctr(always, "a", state.Running, 0, time.Time{}), ctr(always, "b", state.Running, 0, time.Time{})}}},
		{name: "sandbox died: new attempt", pod: always,
			st:   &state.Pod{Sandboxes: []*state.Sandbox{{ID: "sb", Attempt: 2}}, Containers: []*state.Container{ctr(always, "a", state.Exited, 137, t0)}},
			want: want{killPod: true, create: true, attempt: 3, start: []string{"a", "b"}}},
		{name: "sandbox without an IP is replaced", pod: always,
			st:   &state.Pod{Sandboxes: []*state.Sandbox{{ID: "sb", Ready: true}}},
			want: want{killPod: true, create: true, attempt: 1, start: []string{"a", "b"}}},
		{name: "two ready sandboxes are reconciled", pod: always,
			st:   &state.Pod{Sandboxes: []*state.Sandbox{ready(1), ready(0)}},
			want: want{killPod: true, create: true, attempt: 2, start: []string{"a", "b"}}},
		{name: "never: a dead sandbox of a pod that ran is not recreated", pod: never,
			st:   &state.Pod{Sandboxes: []*state.Sandbox{{ID: "sb"}}, Containers: []*state.Container{ctr(never, "a", state.Exited, 0, t0)}},
			want: want{killPod: true, attempt: 1}},
		{name: "onFailure: succeeded containers are not rerun in a new sandbox", pod: onFailure,
			st:   &state.Pod{Sandboxes: []*state.Sandbox{{ID: "sb"}}, Containers: []*state.Container{ctr(onFailure, "a", state.Exited, 0, t0)}},
			want: want{killPod: true, attempt: 1}},
		{name: "always: exited container restarts", pod: always,
			st:   &state.Pod{Sandboxes: []*state.Sandbox{ready(0)}, Containers: []*state.Container{ctr(always, "a", state.Exited, 0, t0), ctr(always, "b", state.Running, 0, time.Time{})}},
			want: want{start: []string{"a"}}},
		{name: "onFailure: success is final, the pod is done", pod: onFailure,
			st:   &state.Pod{Sandboxes: []*state.Sandbox{ready(0)}, Containers: []*state.Container{ctr(onFailure, "a", state.Exited, 0, t0)}},
			want: want{killPod: true}},
		{name: "onFailure: failure restarts", pod: onFailure,
			st:   &state.Pod{Sandboxes: []*state.Sandbox{ready(0)}, Containers: []*state.Container{ctr(onFailure, "a", state.Exited, 1, t0)}},
			want: want{start: []string{"a"}}},
		{name: "never: failure is final", pod: never,
			st:   &state.Pod{Sandboxes: []*state.Sandbox{ready(0)}, Containers: []*state.Container{ctr(never, "a", state.Exited, 1, t0)}},
			want: want{killPod: true}},
		{name: "created container is started again", pod: never,
			st:   &state.Pod{Sandboxes: []*state.Sandbox{ready(0)}, Containers: []*state.Container{ctr(never, "a", state.Created, 0, time.Time{})}},
			want: want{start: []string{"a"}}},
		{name: "unknown container is killed before the restart", pod: always,
			st:   &state.Pod{Sandboxes: []*state.Sandbox{ready(0)}, Containers: []*state.Container{ctr(always, "a", state.Unknown, 0, time.Time{}), ctr(always, "b", state.Running, 0, time.Time{})}},
			want: want{start: []string{"a"}, kill: []string{"a:Unknown"}}},
		{name: "spec hash changed: kill and restart", pod: changed,
			st:   &state.Pod{Sandboxes: []*state.Sandbox{ready(0)}, Containers: []*state.Container{ctr(always, "a", state.Running, 0, time.Time{}), ctr(always, "b", state.Running, 0, time.Time{})}},
			want: want{start: []string{"a"}, kill: []string{"a:SpecChanged"}}},
		{name: "liveness failed: kill and restart", pod: always, probes: fakeProbes{liveness: map[string]bool{"b-id": true}},
			st:   &state.Pod{Sandboxes: []*state.Sandbox{ready(0)}, Containers: []*state.Container{ctr(always, "a", state.Running, 0, time.Time{}), ctr(always, "b", state.Running, 0, time.Time{})}},
			want: want{start: []string{"b"}, kill: []string{"b:LivenessProbe"}}},
		{name: "startup failed under never: kill, no restart, pod done", pod: never, probes: fakeProbes{startup: map[string]bool{"a-id": true}},
			st:   &state.Pod{Sandboxes: []*state.Sandbox{ready(0)}, Containers: []*state.Container{ctr(never, "a", state.Running, 0, time.Time{})}},
			want: want{killPod: true, kill: []string{"a:StartupProbe"}}},
		{name: "init: first done, second next", pod: withInit,
			st:   &state.Pod{Sandboxes: []*state.Sandbox{ready(0)}, Containers: []*state.Container{ctr(withInit, "i1", state.Exited, 0, t0)}},
			want: want{init: "i2"}},
		{name: "init: running one is waited for", pod: withInit,
			st: &state.Pod{Sandboxes: []*state.Sandbox{ready(0)}, Containers: []*state.Container{ctr(withInit, "i2", state.Running, 0, time.Time{}), ctr(withInit, "i1", state.Exited, 0, t0)}}},
		{name: "init: all done, containers start", pod: withInit,
			st:   &state.Pod{Sandboxes: []*state.Sandbox{ready(0)}, Containers: []*state.Container{ctr(withInit, "i2", state.Exited, 0, t0), ctr(withInit, "i1", state.Exited, 0, t0)}},
			want: want{start: []string{"a"}}},
		{name: "init: failure restarts it", pod: withInit,
			st:   &state.Pod{Sandboxes: []*state.Sandbox{ready(0)}, Containers: []*state.Container{ctr(withInit, "i1", state.Exited, 1, t0)}},
			want: want{init: "i1"}},
		{name: "init: failure under never fails the pod", pod: initNever,
			st:   &state.Pod{Sandboxes: []*state.Sandbox{ready(0)}, Containers: []*state.Container{ctr(initNever, "i1", state.Exited, 1, t0)}},
			want: want{killPod: true}},
		{name: "init: not rerun once regular containers exist", pod: withInit,
			st:   &state.Pod{Sandboxes: []*state.Sandbox{ready(0)}, Containers: []*state.Container{ctr(withInit, "a", state.Running, 0, time.Time{})}},
			want: want{}},
		{name: "deleted pod: nothing restarts", pod: func() *corev1.Pod {
			p := always.DeepCopy()
			p.DeletionTimestamp = &metav1.Time{Time: t0}
			return p
		}(),
			st:   &state.Pod{Sandboxes: []*state.Sandbox{ready(0)}, Containers: []*state.Container{ctr(always, "a", state.Exited, 0, t0), ctr(always, "b", state.Running, 0, time.Time{})}},
			want: want{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Compute(Input{Pod: tt.pod, State: tt.st, Probes: tt.probes, Now: t0})
			got := want{killPod: a.KillPod, create: a.CreateSandbox, attempt: a.Attempt, start: names(a.Start), kill: kills(a.Kill)}
			if a.Init != nil {
				got.init = a.Init.Container.Name
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestBackOff walks a crash-looping container through kubelet's back-off:
// the first restart at once, then 10s, 20s, 40s … capped at 5 minutes.
func TestBackOff(t *testing.T) {
	clock := testclock.NewFakeClock(t0)
	backoff := flowcontrol.NewFakeBackOff(10*time.Second, 300*time.Second, clock)
	p := pod(corev1.RestartPolicyAlways, nil, "a")
	finished := t0
	wantDelays := []time.Duration{0, 10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 160 * time.Second, 300 * time.Second, 300 * time.Second}
	for i, delay := range wantDelays {
		st := &state.Pod{Sandboxes: []*state.Sandbox{ready(0)}, Containers: []*state.Container{ctr(p, "a", state.Exited, 1, finished)}}
		in := Input{Pod: p, State: st, BackOff: backoff}
		if delay > 0 {
			clock.SetTime(finished.Add(delay - time.Second))
			in.Now = clock.Now()
			a := Compute(in)
			w, ok := a.Waiting["a"]
			if len(a.Start) != 0 || !ok || w.Reason != ReasonCrashLoop || a.RequeueAfter != time.Second {
				t.Fatalf("restart %d, 1s before its %s back-off ends: start %v waiting %v requeue %s", i, delay, names(a.Start), a.Waiting, a.RequeueAfter)
			}
			wantMsg := "back-off " + delay.String() + " restarting failed container=a pod=p_ns(uid)"
			if w.Message != wantMsg {
				t.Fatalf("message %q, want %q", w.Message, wantMsg)
			}
		}
		clock.SetTime(finished.Add(delay))
		in.Now = clock.Now()
		a := Compute(in)
		if len(a.Start) != 1 || a.Start[0].BackOffKey == "" || !a.Start[0].Since.Equal(finished) {
			t.Fatalf("restart %d after %s: start %+v waiting %v", i, delay, a.Start, a.Waiting)
		}
		backoff.Next(a.Start[0].BackOffKey, a.Start[0].Since)
		finished = clock.Now().Add(time.Second) // it crashes again a second later
	}
}
