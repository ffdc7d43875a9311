package actions

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/skiffrt/skiff/controlplane/agent/podspec"
	"github.com/skiffrt/skiff/controlplane/agent/state"
)

// computeInit walks the init containers in order and reports whether
// they all succeeded. It starts the next one, restarts a failed one (or
// fails the pod under restartPolicy Never) and waits for a running one.
// A pod whose regular containers exist has been initialized already.
func computeInit(in Input, a *Actions) bool {
	pod := in.Pod
	if len(pod.Spec.InitContainers) == 0 || anyRegularCreated(pod, in.State) {
		return true
	}
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		st := in.State.Container(c.Name)
		switch {
		case st == nil:
			a.Init = &Start{Index: i, Container: c}
			return false
		case st.State == state.Running:
			return false
		case st.State == state.Exited && st.ExitCode == 0:
			continue
		case st.State == state.Exited:
			if pod.Spec.RestartPolicy == corev1.RestartPolicyNever {
				a.KillPod = true
				return false
			}
			a.Init = &Start{Index: i, Container: c}
			return false
		default: // created or unknown: stop what may run and start again
			a.Kill = append(a.Kill, Kill{ID: st.ID, Name: c.Name, Reason: ReasonUnknown,
				Message: fmt.Sprintf("Init container is in %q state, try killing it before restart", st.State)})
			a.Init = &Start{Index: i, Container: c}
			return false
		}
	}
	return true
}

// computeContainers decides for each regular container: start what is
// not running and may restart; kill and restart what changed or failed a
// probe; keep the rest. A pod with nothing to keep and nothing to start
// is done.
func computeContainers(in Input, a *Actions) {
	pod := in.Pod
	keep := 0
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		st := in.State.Container(c.Name)
		if st == nil || st.State != state.Running {
			if shouldRestart(pod, st) {
				a.Start = append(a.Start, Start{Index: i, Container: c})
				if st != nil && st.State == state.Unknown {
					a.Kill = append(a.Kill, Kill{ID: st.ID, Name: c.Name, Reason: ReasonUnknown,
						Message: fmt.Sprintf("Container is in %q state, try killing it before restart", st.State)})
				}
			}
			continue
		}
		reason, msg := killReason(in, c, st)
		if reason == "" {
			keep++
			continue
		}
		restart := pod.Spec.RestartPolicy != corev1.RestartPolicyNever || reason == ReasonSpecChanged
		if restart {
			msg += ", will be restarted"
			a.Start = append(a.Start, Start{Index: i, Container: c})
		}
		a.Kill = append(a.Kill, Kill{ID: st.ID, Name: c.Name, Reason: reason, Message: msg})
	}
	if keep == 0 && len(a.Start) == 0 {
		a.KillPod = true
	}
}

// shouldRestart: a container never run, or only created, starts; an
// exited one by the restart policy; none once the pod is being deleted.
func shouldRestart(pod *corev1.Pod, st *state.Container) bool {
	switch {
	case pod.DeletionTimestamp != nil:
		return false
	case st == nil || st.State == state.Created || st.State == state.Unknown:
		return true
	case pod.Spec.RestartPolicy == corev1.RestartPolicyNever:
		return false
	case pod.Spec.RestartPolicy == corev1.RestartPolicyOnFailure:
		return st.ExitCode != 0
	}
	return true
}

// killReason says why a running container must go, or "".
func killReason(in Input, c *corev1.Container, st *state.Container) (string, string) {
	switch {
	case st.Hash != podspec.Hash(c):
		return ReasonSpecChanged, fmt.Sprintf("Container %s definition changed", c.Name)
	case in.Probes != nil && in.Probes.LivenessFailed(st.ID):
		return ReasonLiveness, fmt.Sprintf("Container %s failed liveness probe", c.Name)
	case in.Probes != nil && in.Probes.StartupFailed(st.ID):
		return ReasonStartup, fmt.Sprintf("Container %s failed startup probe", c.Name)
	}
	return "", ""
}

// applyBackOff holds back each container to start whose last run ended
// within its back-off, as kubelet's doBackOff: the newest exited instance
// of the container counts.
func applyBackOff(in Input, a *Actions) {
	if in.BackOff == nil {
		return
	}
	hold := func(s *Start) bool {
		last := newestExited(in.State, s.Container.Name)
		if last == nil {
			return false
		}
		s.BackOffKey, s.Since = BackOffKey(in.Pod, s.Container), last.FinishedAt
		if !in.BackOff.IsInBackOffSince(s.BackOffKey, s.Since) {
			return false
		}
		delay := in.BackOff.Get(s.BackOffKey)
		if a.Waiting == nil {
			a.Waiting = map[string]Waiting{}
		}
		a.Waiting[s.Container.Name] = Waiting{Reason: ReasonCrashLoop, Message: fmt.Sprintf(
			"back-off %s restarting failed container=%s pod=%s_%s(%s)", delay, s.Container.Name, in.Pod.Name, in.Pod.Namespace, in.Pod.UID)}
		if until := s.Since.Add(delay).Sub(in.Now); until > 0 && (a.RequeueAfter == 0 || until < a.RequeueAfter) {
			a.RequeueAfter = until
		}
		return true
	}
	if a.Init != nil && hold(a.Init) {
		a.Init = nil
	}
	kept := a.Start[:0]
	for _, s := range a.Start {
		if !hold(&s) {
			kept = append(kept, s)
		}
	}
	a.Start = kept
}

func newestExited(st *state.Pod, name string) *state.Container {
	for _, c := range st.Containers {
		if c.Name == name && c.State == state.Exited {
			return c
		}
	}
	return nil
}
