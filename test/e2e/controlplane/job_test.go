//go:build e2e

package controlplane

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// flakyJob: four completions, two at a time; the first pod to run fails
// (it leaves a marker on a hostPath), the others succeed after a while,
// so that the replacement of the failed pod waits out the back-off.
func flakyJob(markerDir string) string {
	return fmt.Sprintf(`apiVersion: batch/v1
kind: Job
metadata: {name: flaky}
spec:
  completions: 4
  parallelism: 2
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      volumes: [{name: m, hostPath: {path: %s, type: DirectoryOrCreate}}]
      containers:
      - name: c
        image: busybox:1.36
        command: [sh, -c, "if mkdir /m/failed 2>/dev/null; then echo failing once; exit 1; fi; sleep 12"]
        volumeMounts: [{name: m, mountPath: /m}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: doomed}
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox:1.36, command: [sh, -c, "exit 3"]}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: brief}
spec:
  ttlSecondsAfterFinished: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox:1.36, command: ["true"]}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: indexed}
spec:
  completionMode: Indexed
  completions: 3
  parallelism: 3
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox:1.36, command: [sh, -c, "echo index $JOB_COMPLETION_INDEX on $(hostname)"]}]
`, markerDir)
}

// TestJob: a Job with parallelism 2 and completions 4 survives a failed
// pod (its replacement waits the 10 s back-off) and completes; a Job that
// fails more often than its backoffLimit is Failed; a finished Job with
// ttlSecondsAfterFinished goes with its pods. Pods are counted once and
// keep no tracking finalizer.
func TestJob(t *testing.T) {
	n := startLocalNode(t)
	s := n.s
	s.k("apply", "-f", s.writeFile("jobs.yaml", flakyJob(t.TempDir())))

	t.Run("completes despite a failure, after a back-off", func(t *testing.T) {
		if out, err := s.kLong(t, 3*time.Minute, "wait", "--for=condition=complete", "job/flaky", "--timeout=150s"); err != nil {
			t.Fatalf("wait: %v\n%s\n%s", err, out, s.k("get", "pods", "-o", "wide"))
		}
		expectLine(t, s.k("get", "job", "flaky"), "flaky", "Complete", "4/4")
		got := s.k("get", "job", "flaky", "-o", `jsonpath={.status.succeeded} {.status.failed} {.status.active} {.status.ready} {.spec.selector.matchLabels.batch\.kubernetes\.io/controller-uid}`)
		if uid := s.k("get", "job", "flaky", "-o", "jsonpath={.metadata.uid}"); got != "4 1  0 "+uid {
			t.Fatalf("status: %q", got)
		}
		list, err := n.client.CoreV1().Pods("default").List(context.Background(), metav1.ListOptions{LabelSelector: "batch.kubernetes.io/job-name=flaky"})
		if err != nil {
			t.Fatal(err)
		}
		var failedAt time.Time
		phases := map[corev1.PodPhase]int{}
		for _, p := range list.Items {
			phases[p.Status.Phase]++
			if slices.Contains(p.Finalizers, batchv1.JobTrackingFinalizer) {
				t.Errorf("pod %s keeps %v", p.Name, p.Finalizers)
			}
			if p.Status.Phase == corev1.PodFailed {
				failedAt = p.Status.ContainerStatuses[0].State.Terminated.FinishedAt.Time
			}
		}
		if phases[corev1.PodSucceeded] != 4 || phases[corev1.PodFailed] != 1 || len(list.Items) != 5 {
			t.Fatalf("pods by phase: %v", phases)
		}
		// The first pod created after the failure waited the back-off.
		var next time.Time
		for _, p := range list.Items {
			if c := p.CreationTimestamp.Time; c.After(failedAt) && (next.IsZero() || c.Before(next)) {
				next = c
			}
		}
		if d := next.Sub(failedAt); d < 9*time.Second {
			t.Errorf("replacement created %s after the failure, want the 10s back-off", d)
		}
		t.Logf("replacement created %s after the failure", next.Sub(failedAt))
		out := s.k("describe", "job", "flaky")
		for _, re := range []string{
			`Pods Statuses:\s+0 Active \(0 Ready\) / 4 Succeeded / 1 Failed`,
			`Normal\s+SuccessfulCreate\s+.*job-controller\s+Created pod: flaky-`,
			`Normal\s+Completed\s+.*job-controller\s+Job completed`,
		} {
			if !regexp.MustCompile(re).MatchString(out) {
				t.Errorf("describe job lacks %s:\n%s", re, out)
			}
		}
	})

	t.Run("fails past its backoffLimit", func(t *testing.T) {
		if out, err := s.kLong(t, 2*time.Minute, "wait", "--for=condition=failed", "job/doomed", "--timeout=90s"); err != nil {
			t.Fatalf("wait: %v\n%s", err, out)
		}
		expectLine(t, s.k("get", "job", "doomed"), "doomed", "Failed", "0/1")
		got := s.k("get", "job", "doomed", "-o", `jsonpath={.status.failed} {.status.conditions[?(@.type=="Failed")].reason}`)
		if got != "2 BackoffLimitExceeded" {
			t.Fatalf("status: %q", got)
		}
		out := s.k("describe", "job", "doomed")
		if !regexp.MustCompile(`Warning\s+BackoffLimitExceeded\s+.*job-controller\s+Job has reached the specified backoff limit`).MatchString(out) {
			t.Errorf("describe job lacks BackoffLimitExceeded:\n%s", out)
		}
	})

	t.Run("indexed", func(t *testing.T) {
		if out, err := s.kLong(t, 2*time.Minute, "wait", "--for=condition=complete", "job/indexed", "--timeout=90s"); err != nil {
			t.Fatalf("wait: %v\n%s", err, out)
		}
		if got := s.k("get", "job", "indexed", "-o", "jsonpath={.status.completedIndexes} {.status.succeeded}"); got != "0-2 3" {
			t.Fatalf("status: %q", got)
		}
		pod := s.k("get", "pods", "-l", "batch.kubernetes.io/job-completion-index=1,batch.kubernetes.io/job-name=indexed", "-o", "jsonpath={.items[0].metadata.name}")
		if logs := s.k("logs", pod); logs != "index 1 on indexed-1\n" {
			t.Errorf("logs of %s: %q", pod, logs)
		}
	})

	t.Run("ttlSecondsAfterFinished deletes the Job and its pods", func(t *testing.T) {
		n.waitOutput(time.Minute, regexp.MustCompile(`^$`), "get", "jobs,pods", "-l", "batch.kubernetes.io/job-name=brief", "-o", "name")
		if out := s.k("get", "jobs", "-o", "name"); strings.Contains(out, "brief") {
			t.Fatalf("jobs: %s", out)
		}
	})
}

// TestCronJob: a CronJob firing every minute creates its Job within a
// minute, named after the scheduled minute, and records it; kubectl
// create job --from=cronjob works.
func TestCronJob(t *testing.T) {
	n := startLocalNode(t)
	s := n.s
	s.k("apply", "-f", s.writeFile("cron.yaml", `apiVersion: batch/v1
kind: CronJob
metadata: {name: tick}
spec:
  schedule: "*/1 * * * *"
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: c, image: busybox:1.36, command: [sh, -c, "echo tick"]}]
`))
	expectLine(t, s.k("get", "cronjob", "tick"), "tick", "*/1", "*", "*", "*", "*", "<none>", "false", "0", "<none>")

	out := n.waitOutput(75*time.Second, regexp.MustCompile(`job.batch/tick-\d+`), "get", "jobs", "-o", "name")
	name := strings.TrimPrefix(regexp.MustCompile(`job.batch/(tick-\d+)`).FindString(out), "job.batch/")
	var minutes int64
	fmt.Sscanf(strings.TrimPrefix(name, "tick-"), "%d", &minutes)
	if got := s.k("get", "job", name, "-o", `jsonpath={.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name} {.metadata.annotations.batch\.kubernetes\.io/cronjob-scheduled-timestamp}`); got != "CronJob/tick "+time.Unix(minutes*60, 0).UTC().Format(time.RFC3339) &&
		got != "CronJob/tick "+time.Unix(minutes*60, 0).Local().Format(time.RFC3339) {
		t.Fatalf("job %s: %q", name, got)
	}
	if out, err := s.kLong(t, 2*time.Minute, "wait", "--for=condition=complete", "job/"+name, "--timeout=90s"); err != nil {
		t.Fatalf("wait: %v\n%s", err, out)
	}
	n.waitOutput(30*time.Second, regexp.MustCompile(`^\d{4}-\S+ \d{4}-\S+ $`), "get", "cronjob", "tick", "-o", "jsonpath={.status.lastScheduleTime} {.status.lastSuccessfulTime} {.status.active}")
	out = s.k("describe", "cronjob", "tick")
	for _, re := range []string{
		`Normal\s+SuccessfulCreate\s+.*cronjob-controller\s+Created job ` + name,
		`Normal\s+SawCompletedJob\s+.*cronjob-controller\s+Saw completed job: ` + name + `, condition: Complete`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("describe cronjob lacks %s:\n%s", re, out)
		}
	}

	s.k("create", "job", "manual", "--from=cronjob/tick")
	if out, err := s.kLong(t, 2*time.Minute, "wait", "--for=condition=complete", "job/manual", "--timeout=90s"); err != nil {
		t.Fatalf("wait for the job made by hand: %v\n%s", err, out)
	}
	if logs := s.k("logs", "job/manual"); logs != "tick\n" {
		t.Errorf("logs: %q", logs)
	}
}
