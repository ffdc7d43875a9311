package agent

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiffrt/skiff/controlplane/agent/actions"
	"github.com/skiffrt/skiff/controlplane/agent/podstatus"
	"github.com/skiffrt/skiff/controlplane/agent/state"
)

// syncPod brings one pod to its desired state and posts its status. It
// returns when to sync again (0: the resync period).
func (a *Agent) syncPod(ctx context.Context, pod *corev1.Pod, isStatic bool) (time.Duration, error) {
	st, err := state.Read(ctx, a.cfg.Runtime, pod.UID)
	if err != nil {
		return 0, err
	}
	act := actions.Compute(actions.Input{Pod: pod, State: st, Probes: a.probes, BackOff: a.backoff, Now: time.Now()})
	res, syncErr := a.runner.Sync(ctx, pod, st, act, a.backoff)
	if acted(act) {
		if st, err = state.Read(ctx, a.cfg.Runtime, pod.UID); err != nil {
			return 0, err
		}
	}
	a.postStatus(ctx, pod, st, res.Waiting, isStatic)
	a.probes.UpdatePod(ctx, pod, st)
	if err := a.runner.GC(ctx, st); err != nil {
		slog.WarnContext(ctx, "garbage-collect containers", "pod", podName(pod), "error", err)
	}
	return act.RequeueAfter, syncErr
}

// acted tells whether the actions changed anything in the runtime.
func acted(a actions.Actions) bool {
	return a.KillPod || a.CreateSandbox || a.Init != nil || len(a.Start) > 0 || len(a.Kill) > 0
}

// postStatus computes the pod's status and writes it to the pod, or to
// the mirror pod of a static pod.
func (a *Agent) postStatus(ctx context.Context, pod *corev1.Pod, st *state.Pod, waiting map[string]actions.Waiting, isStatic bool) {
	target := pod
	if isStatic {
		if target = a.mirror(pod); target == nil {
			return // created by the next housekeeping
		}
		pod = pod.DeepCopy()
		pod.Status = target.Status
	}
	status := podstatus.Generate(podstatus.Input{Pod: pod, State: st, Probes: a.probes, Waiting: waiting,
		HostIPs: a.hostIPs, RuntimeName: a.runtimeName, Now: time.Now()})
	if err := a.status.set(ctx, target, status); err != nil && ctx.Err() == nil {
		slog.WarnContext(ctx, "update pod status", "pod", podName(pod), "error", err)
	}
}

// terminate stops a deleted or gone pod: kill its containers with the
// grace period, post the final status, delete the API object (grace 0)
// and remove what it left on the node.
func (a *Agent) terminate(ctx context.Context, pod *corev1.Pod, gone, isStatic bool) error {
	st, err := state.Read(ctx, a.cfg.Runtime, pod.UID)
	if err != nil {
		return err
	}
	slog.InfoContext(ctx, "terminating pod", "pod", podName(pod), "gone", gone)
	if err := a.runner.KillPod(ctx, pod, st, nil); err != nil {
		return err
	}
	a.probes.RemovePod(pod.UID)
	if st, err = state.Read(ctx, a.cfg.Runtime, pod.UID); err != nil {
		return err
	}
	if !gone {
		a.postStatus(ctx, pod, st, nil, isStatic)
		if pod.DeletionTimestamp != nil && !isStatic {
			if err := a.deleteFromAPI(ctx, pod); err != nil {
				return err
			}
		}
	}
	if err := a.runner.RemovePod(ctx, pod, st); err != nil {
		return err
	}
	a.status.forget(pod.UID)
	if isStatic {
		if mp := a.mirror(pod); mp != nil {
			a.status.forget(mp.UID)
		}
	}
	a.sources.forget(pod.UID)
	return nil
}

// deleteFromAPI removes the pod object now that it stopped: grace 0,
// only this pod (UID precondition).
func (a *Agent) deleteFromAPI(ctx context.Context, pod *corev1.Pod) error {
	zero := int64(0)
	err := a.cfg.Client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &pod.UID}})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("delete pod %s: %w", podName(pod), err)
	}
	return nil
}
