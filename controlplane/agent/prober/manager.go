package prober

import (
	"context"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/skiffrt/skiff/controlplane/agent/state"
)

// Kind is a probe's kind.
type Kind int

// The probe kinds.
const (
	Liveness Kind = iota
	Readiness
	Startup
)

func (k Kind) String() string {
	return [...]string{"Liveness", "Readiness", "Startup"}[k]
}

// Recorder records events on the pod (client-go's record.EventRecorder).
type Recorder interface {
	Eventf(obj runtime.Object, eventtype, reason, messageFmt string, args ...any)
}

// Manager runs the probes of the node's containers and keeps their
// results. It is safe for concurrent use.
type Manager struct {
	exec     Execer
	recorder Recorder
	onChange func(types.UID)

	mu      sync.Mutex // guards the maps below
	workers map[workerKey]*worker
	results map[resultKey]Result
}

type workerKey struct {
	uid       types.UID
	container string
	kind      Kind
}

type resultKey struct {
	id   string // container runtime ID
	kind Kind
}

// NewManager returns a Manager that runs exec probes through exec and
// calls onChange with the pod's UID when a result changes.
func NewManager(exec Execer, recorder Recorder, onChange func(types.UID)) *Manager {
	return &Manager{exec: exec, recorder: recorder, onChange: onChange,
		workers: map[workerKey]*worker{}, results: map[resultKey]Result{}}
}

// LivenessFailed tells whether the container failed its liveness probe.
func (m *Manager) LivenessFailed(id string) bool { return m.Result(id, Liveness) == Failure }

// StartupFailed tells whether the container failed its startup probe.
func (m *Manager) StartupFailed(id string) bool { return m.Result(id, Startup) == Failure }

// Ready tells whether the container passed its readiness probe.
func (m *Manager) Ready(id string) bool { return m.Result(id, Readiness) == Success }

// Started tells whether the container passed its startup probe.
func (m *Manager) Started(id string) bool { return m.Result(id, Startup) == Success }

// Result is the container's result for a probe kind (Unknown when it
// has no such probe running).
func (m *Manager) Result(id string, k Kind) Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.results[resultKey{id, k}]
}

func (m *Manager) set(id string, k Kind, v Result) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.results[resultKey{id, k}] = v
}

// UpdatePod starts a worker for each probe of each running container of
// the pod, and stops those of containers that stopped or changed.
func (m *Manager) UpdatePod(ctx context.Context, pod *corev1.Pod, st *state.Pod) {
	podIP := ""
	if sb := st.Sandbox(); sb != nil && len(sb.IPs) > 0 {
		podIP = sb.IPs[0]
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		cur := st.Container(c.Name)
		for k, p := range map[Kind]*corev1.Probe{Liveness: c.LivenessProbe, Readiness: c.ReadinessProbe, Startup: c.StartupProbe} {
			key := workerKey{pod.UID, c.Name, k}
			w := m.workers[key]
			running := p != nil && cur != nil && cur.State == state.Running && (pod.Spec.HostNetwork || podIP != "")
			if w != nil && (!running || w.target.ContainerID != cur.ID) {
				w.stop()
				delete(m.workers, key)
				w = nil
			}
			if running && w == nil {
				w = m.newWorker(pod, c, k, p, cur, podIP)
				m.workers[key] = w
				go w.run(ctx)
			}
		}
	}
}

// RemovePod stops the pod's workers and forgets their results.
func (m *Manager) RemovePod(uid types.UID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for key, w := range m.workers {
		if key.uid == uid {
			w.stop()
			delete(m.workers, key)
			for k := range m.results {
				if k.id == w.target.ContainerID {
					delete(m.results, k)
				}
			}
		}
	}
}

func (m *Manager) newWorker(pod *corev1.Pod, c *corev1.Container, k Kind, p *corev1.Probe, cur *state.Container, podIP string) *worker {
	if pod.Spec.HostNetwork {
		// The pod's IP is the node's, which its status shows.
		podIP = pod.Status.PodIP
		if podIP == "" {
			podIP = "127.0.0.1"
		}
	}
	w := &worker{
		m: m, pod: pod, container: c.Name, kind: k, probe: p, started: cur.StartedAt,
		hasStartup: c.StartupProbe != nil, done: make(chan struct{}),
		target: Target{ContainerID: cur.ID, PodIP: podIP, Ports: c.Ports, Exec: m.exec},
	}
	initial := map[Kind]Result{Liveness: Success, Readiness: Failure, Startup: Unknown}[k]
	w.count = newCounter(initial, p.SuccessThreshold, p.FailureThreshold)
	if k != Readiness {
		w.count.success = 1
	}
	if _, ok := m.results[resultKey{cur.ID, k}]; !ok {
		m.results[resultKey{cur.ID, k}] = initial
	}
	return w
}

// worker probes one container for one kind until stopped.
type worker struct {
	m          *Manager
	pod        *corev1.Pod
	container  string
	kind       Kind
	probe      *corev1.Probe
	target     Target
	started    time.Time
	hasStartup bool
	count      *counter
	stopOnce   sync.Once
	done       chan struct{}
}

func (w *worker) stop() { w.stopOnce.Do(func() { close(w.done) }) }

func (w *worker) run(ctx context.Context) {
	period := time.Duration(w.probe.PeriodSeconds) * time.Second
	if period <= 0 {
		period = defaultPeriod * time.Second
	}
	if w.probe.TimeoutSeconds <= 0 {
		w.probe = w.probe.DeepCopy()
		w.probe.TimeoutSeconds = defaultTimeout
	}
	wait := time.Until(w.started.Add(time.Duration(w.probe.InitialDelaySeconds) * time.Second))
	for {
		if !sleep(ctx, w.done, max(wait, 0)) {
			return
		}
		wait = period
		if !w.step(ctx) {
			return
		}
	}
}

// step runs one attempt and reports whether to keep probing.
func (w *worker) step(ctx context.Context) bool {
	id := w.target.ContainerID
	if w.kind != Startup && w.hasStartup && !w.m.Started(id) {
		return true // liveness and readiness wait for the startup probe
	}
	if w.kind == Startup && w.m.Started(id) {
		return false
	}
	err := run(ctx, w.probe, w.target)
	if ctx.Err() != nil {
		return false
	}
	if err != nil && w.m.recorder != nil {
		w.m.recorder.Eventf(w.pod, corev1.EventTypeWarning, "Unhealthy", "%s probe failed: %v", w.kind, err)
	}
	if err != nil {
		slog.DebugContext(ctx, "probe failed", "pod", w.pod.Namespace+"/"+w.pod.Name, "container", w.container, "probe", w.kind, "error", err)
	}
	if !w.count.observe(err == nil) {
		return true
	}
	w.m.set(id, w.kind, w.count.result)
	w.m.onChange(w.pod.UID)
	// A failed liveness or startup probe kills the container: stop until
	// the next one.
	return w.count.result == Success || w.kind == Readiness
}

func sleep(ctx context.Context, done <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-done:
	case <-ctx.Done():
	}
	return false
}
