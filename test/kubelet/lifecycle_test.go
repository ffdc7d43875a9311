//go:build kubelet

package kubelet

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// checkSkiffdKill kills skiffd with -9 under the running kubelet and
// restarts it: the kubelet must reach the runtime again within 10 s, and no
// container may restart. It returns the window in which the kubelet's
// errors about the missing runtime are expected.
func (n *node) checkSkiffdKill(t *testing.T) window {
	before := n.waitReady(t, webPod, "", 30*time.Second)
	killed := time.Now()
	n.restartSkiffd()
	restarted := time.Now()

	err := poll(10*time.Second, func() error {
		running, err := n.api.runningPods()
		if err != nil {
			return err
		}
		if findPod(running, webPod) == nil {
			return fmt.Errorf("/runningpods/ lacks %s", webPod)
		}
		_, err = n.api.run(webPod, "web", "true")
		return err
	})
	recovered := time.Now()
	w := window{killed, recovered.Add(2 * time.Second), "skiffd was down: the test killed it"}
	if err != nil {
		t.Fatalf("kubelet did not reach skiffd within 10s of its restart: %v\n%s", err, n.kubelet.tail(20))
	}
	t.Logf("skiffd down %v; kubelet reached it again %v after its restart", restarted.Sub(killed).Round(time.Millisecond), recovered.Sub(restarted).Round(time.Millisecond))

	// Give probes and a few syncs the chance to restart something.
	time.Sleep(10 * time.Second)
	after := n.waitReady(t, webPod, "", 10*time.Second)
	if after.UID != before.UID {
		t.Fatalf("pod replaced: UID %s -> %s", before.UID, after.UID)
	}
	for _, name := range []string{"web", "logger"} {
		b, a := containerStatus(before, name), containerStatus(after, name)
		if a == nil || b == nil || a.ContainerID != b.ContainerID || a.RestartCount != b.RestartCount {
			t.Errorf("container %s restarted: before %+v, after %+v", name, b, a)
		}
	}
	return w
}

// runWatcher records, by polling the kubelet, every run of one container
// that ended: the kubelet shows the last run in state.terminated until it
// restarts the container, then in lastState.
type runWatcher struct {
	mu     sync.Mutex
	runs   map[string]corev1.ContainerStateTerminated // by container ID
	podUID string
}

func watchRuns(t *testing.T, api *kubeletAPI, podName, container string) *runWatcher {
	w := &runWatcher{runs: map[string]corev1.ContainerStateTerminated{}}
	stop := make(chan struct{})
	done := make(chan struct{})
	t.Cleanup(func() { close(stop); <-done })
	go func() {
		defer close(done)
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			pods, err := api.pods()
			if err != nil {
				continue
			}
			if p := findPod(pods, podName); p != nil {
				if c := containerStatus(p, container); c != nil {
					w.record(string(p.UID), c)
				}
			}
		}
	}()
	return w
}

func (w *runWatcher) record(uid string, c *corev1.ContainerStatus) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.podUID = uid
	for _, s := range []corev1.ContainerState{c.State, c.LastTerminationState} {
		if s.Terminated != nil {
			w.runs[s.Terminated.ContainerID] = *s.Terminated
		}
	}
}

func (w *runWatcher) uid() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.podUID
}

// snapshot returns the ended runs in order.
func (w *runWatcher) snapshot() []corev1.ContainerStateTerminated {
	w.mu.Lock()
	defer w.mu.Unlock()
	runs := make([]corev1.ContainerStateTerminated, 0, len(w.runs))
	for _, r := range w.runs {
		runs = append(runs, r)
	}
	slices.SortFunc(runs, func(a, b corev1.ContainerStateTerminated) int {
		if c := a.StartedAt.Compare(b.StartedAt.Time); c != 0 {
			return c
		}
		return a.FinishedAt.Compare(b.FinishedAt.Time)
	})
	return runs
}

// checkCrashLoop checks that a container that keeps failing is restarted
// with a growing delay (the kubelet's back-off: 10 s, then 20 s), that the
// restart count the kubelet reports matches the runs seen and skiffd's
// record, and that exit code and log reach the kubelet.
func (n *node) checkCrashLoop(t *testing.T, w *runWatcher) {
	var runs []corev1.ContainerStateTerminated
	err := poll(2*time.Minute, func() error {
		if runs = w.snapshot(); len(runs) < 4 {
			return fmt.Errorf("%d runs ended so far", len(runs))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("crash loop: %v\n%s", err, n.kubelet.tail(20))
	}
	// The first restart is at once, then the kubelet waits 10 s, 20 s ...
	// between a run's end and the next start (API times have a resolution
	// of one second).
	var gaps []time.Duration
	for i := 1; i < len(runs); i++ {
		gaps = append(gaps, runs[i].StartedAt.Sub(runs[i-1].FinishedAt.Time))
	}
	if gaps[1] < 9*time.Second || gaps[2] < 19*time.Second {
		t.Errorf("restart delays %v do not back off (want 0, then at least 10s, 20s ...)", gaps)
	}
	log, _ := os.ReadFile(n.kubelet.log)
	for _, d := range []string{"10s", "20s"} {
		if !strings.Contains(string(log), "CrashLoopBackOff: \\\"back-off "+d+" restarting failed container=crash ") {
			t.Errorf("the kubelet did not log a %s back-off for the crashing container", d)
		}
	}
	for _, r := range runs {
		if r.ExitCode != 3 || r.Reason != "Error" || r.Message != "bye\n" {
			t.Errorf("run ended with %d %q, message %q; want 3 Error, the termination message \"bye\"", r.ExitCode, r.Reason, r.Message)
		}
	}

	// The count: every run but the first is a restart; skiffd keeps the
	// attempt number the kubelet gave the newest container.
	err = poll(30*time.Second, func() error {
		pods, err := n.api.pods()
		if err != nil {
			return err
		}
		p := findPod(pods, crashPod)
		if p == nil {
			return fmt.Errorf("no pod %s", crashPod)
		}
		runs := w.snapshot()
		c := containerStatus(p, "crash")
		attempt, err := n.containerAttempt(string(p.UID), "crash")
		if err != nil {
			return err
		}
		if int(c.RestartCount) != len(runs)-1 || int32(attempt) != c.RestartCount {
			return fmt.Errorf("restartCount %d, %d runs ended, skiffd's newest attempt %d", c.RestartCount, len(runs), attempt)
		}
		return nil
	})
	if err != nil {
		t.Errorf("restart count: %v", err)
	}
	t.Logf("restart delays %v", gaps)
	if logs, err := n.api.containerLogs(crashPod, "crash", ""); err != nil || logs != "crashing\n" {
		t.Errorf("the last run's log: %q, %v", logs, err)
	}
}

// checkReplace changes the web pod's manifest: the kubelet must stop the
// old pod and start the new one, which serves the new content.
func (n *node) checkReplace(t *testing.T, old *corev1.Pod) *corev1.Pod {
	n.writeManifest("web", web("2"))
	p := n.waitReady(t, webPod, string(old.UID), time.Minute)
	n.checkServes(t, p, "web 2")
	err := poll(30*time.Second, func() error {
		held, err := n.podObjects(string(old.UID))
		if err != nil {
			return err
		}
		for _, h := range held {
			if strings.HasSuffix(h, "_READY") || strings.HasSuffix(h, "_RUNNING") || strings.HasSuffix(h, "_CREATED") {
				return fmt.Errorf("the old pod still has %v", held)
			}
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	// Stopped with SIGTERM within the grace period, not killed.
	log, _ := os.ReadFile(n.kubelet.log)
	finished := regexp.MustCompile(`"Generic \(PLEG\): container finished" podID="` + string(old.UID) + `" containerID="\w+" exitCode=(\d+)`)
	for _, m := range finished.FindAllStringSubmatch(string(log), -1) {
		if m[1] != "0" {
			t.Errorf("a container of the old pod ended with %s: %s", m[1], m[0])
		}
	}
	return p
}

// checkDelete removes the manifests: the pods must go from the kubelet
// and, once its garbage collection ran (every minute), skiffd must hold
// nothing for them, on the host either.
func (n *node) checkDelete(t *testing.T, uids []string) {
	n.removeManifest("web")
	n.removeManifest("crash")
	err := poll(time.Minute, func() error {
		for _, get := range []func() ([]corev1.Pod, error){n.api.pods, n.api.runningPods} {
			pods, err := get()
			if err != nil {
				return err
			}
			if len(pods) > 0 {
				return fmt.Errorf("the kubelet still lists %d pods", len(pods))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = poll(150*time.Second, func() error {
		for _, uid := range uids {
			held, err := n.podObjects(uid)
			if err != nil {
				return err
			}
			if len(held) > 0 {
				return fmt.Errorf("skiffd still holds %v for pod %s", held, uid)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = poll(30*time.Second, func() error {
		left, err := n.leftovers()
		if err == nil && len(left) > 0 {
			err = fmt.Errorf("left on the host:\n%s", strings.Join(left, "\n"))
		}
		return err
	})
	if err != nil {
		t.Error(err)
	}
}
