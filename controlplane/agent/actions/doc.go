// Package actions decides what to do with one pod, as kubelet's
// computePodActions does, as a pure function of the pod, what the runtime
// has of it (package state), the probes' verdicts and the restart
// back-off:
//
//   - whether the sandbox must be (re)created, and with which attempt;
//   - which init container runs next (one at a time, in order);
//   - which containers to start, honouring the restart policy, and which
//     wait out a CrashLoopBackOff;
//   - which containers to kill: a changed spec hash, a failed liveness or
//     startup probe, an unknown state;
//   - whether the whole pod is done (kill everything, do not restart).
//
// The caller applies the actions over CRI (package runner) and moves the
// back-off on for what it started.
package actions
