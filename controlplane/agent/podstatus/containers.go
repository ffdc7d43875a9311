package podstatus

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiffrt/skiff/controlplane/agent/state"
)

type generator struct{ in Input }

// statuses are the API statuses of containers, in spec order.
func (g generator) statuses(cs []corev1.Container, init bool) []corev1.ContainerStatus {
	if len(cs) == 0 {
		return nil
	}
	out := make([]corev1.ContainerStatus, len(cs))
	initDone := g.initDone()
	for i := range cs {
		out[i] = g.status(&cs[i], init, initDone)
	}
	return out
}

// initDone: every init container succeeded.
func (g generator) initDone() bool {
	for _, c := range g.in.Pod.Spec.InitContainers {
		st := g.in.State.Container(c.Name)
		if st == nil || st.State != state.Exited || st.ExitCode != 0 {
			return false
		}
	}
	return true
}

// status is one container's status: its newest instance's state (or the
// sync's waiting reason), the instance before it as lastState, and
// readiness from the probes.
func (g generator) status(c *corev1.Container, init, initDone bool) corev1.ContainerStatus {
	cur, prev := g.in.State.Container(c.Name), g.in.State.Previous(c.Name)
	s := corev1.ContainerStatus{Name: c.Name, Image: c.Image}
	if cur == nil {
		reason := ReasonContainerCreating
		if init || !initDone {
			reason = ReasonPodInitializing
		}
		s.State.Waiting = &corev1.ContainerStateWaiting{Reason: reason}
		g.applyWaiting(&s, nil)
		return s
	}
	s.ContainerID = g.in.RuntimeName + "://" + cur.ID
	s.ImageID, s.RestartCount = cur.ImageRef, int32(cur.RestartCount)
	s.State = stateOf(cur, s.ContainerID)
	if prev != nil && prev.State == state.Exited {
		s.LastTerminationState = stateOf(prev, g.in.RuntimeName+"://"+prev.ID)
	}
	if cur.State != state.Running {
		g.applyWaiting(&s, cur)
	}
	running := cur.State == state.Running
	started := running && (c.StartupProbe == nil || (g.in.Probes != nil && g.in.Probes.Started(cur.ID)))
	if !init {
		s.Started = &started
	}
	switch {
	case init:
		s.Ready = cur.State == state.Exited && cur.ExitCode == 0
	case c.ReadinessProbe == nil:
		s.Ready = started
	default:
		s.Ready = started && g.in.Probes != nil && g.in.Probes.Ready(cur.ID)
	}
	return s
}

// applyWaiting shows the sync's reason for a container that is not
// running; what it last ran as becomes its lastState.
func (g generator) applyWaiting(s *corev1.ContainerStatus, cur *state.Container) {
	w, ok := g.in.Waiting[s.Name]
	if !ok {
		return
	}
	if cur != nil && cur.State == state.Exited {
		s.LastTerminationState = s.State
	}
	s.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: w.Reason, Message: w.Message}}
}

func stateOf(c *state.Container, id string) corev1.ContainerState {
	switch c.State {
	case state.Running:
		return corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(c.StartedAt)}}
	case state.Exited:
		reason := c.Reason
		if reason == "" {
			reason = "Completed"
			if c.ExitCode != 0 {
				reason = "Error"
			}
		}
		return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: c.ExitCode, Reason: reason, Message: c.Message, ContainerID: id,
			StartedAt: metav1.NewTime(c.StartedAt), FinishedAt: metav1.NewTime(c.FinishedAt),
		}}
	case state.Unknown:
		return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: 137, Reason: "ContainerStatusUnknown", ContainerID: id,
			Message: "The container could not be located when the pod was terminated",
		}}
	}
	return corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: ReasonContainerCreating}}
}
