//go:build e2e

package controlplane

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestAgentMemory reports the agent's memory with SKIFF_AGENT_PODS pods
// running (skipped unless set; `make bench` runs it with 50).
func TestAgentMemory(t *testing.T) {
	count, _ := strconv.Atoi(os.Getenv("SKIFF_AGENT_PODS"))
	if count <= 0 {
		t.Skip("set SKIFF_AGENT_PODS to the number of pods to measure the agent with")
	}
	n := startNode(t)
	time.Sleep(5 * time.Second)
	idle := memory(t, n.agent.cmd.Process.Pid)
	for i := range count {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("p%d", i)}, Spec: corev1.PodSpec{NodeName: nodeName,
			TerminationGracePeriodSeconds: ptr(int64(1)),
			Containers:                    []corev1.Container{{Name: "c", Image: "busybox:1.36", Command: []string{"sleep", "1000"}}}}}
		if _, err := n.client.CoreV1().Pods("default").Create(t.Context(), p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	n.eventually(10*time.Minute, fmt.Sprintf("%d pods running", count), func() (bool, string) {
		list, err := n.client.CoreV1().Pods("default").List(t.Context(), metav1.ListOptions{})
		if err != nil {
			return false, err.Error()
		}
		up := 0
		for i := range list.Items {
			if running(&list.Items[i]) {
				up++
			}
		}
		return up == count, fmt.Sprintf("%d running", up)
	})
	t.Logf("%d pods running after %s", count, time.Since(start).Round(time.Second))
	time.Sleep(30 * time.Second) // steady state: syncs, relists, probes
	busy := memory(t, n.agent.cmd.Process.Pid)
	t.Logf("agent memory: idle %s; with %d pods %s", idle, count, busy)
}

// mem is a process's resident memory.
type mem struct{ rssKB, pssKB int }

func (m mem) String() string {
	return fmt.Sprintf("RSS %.1f MB, PSS %.1f MB", float64(m.rssKB)/1024, float64(m.pssKB)/1024)
}

func memory(t *testing.T, pid int) mem {
	t.Helper()
	read := func(file, key string) int {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, file))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == key {
				v, _ := strconv.Atoi(f[1])
				return v
			}
		}
		return 0
	}
	return mem{rssKB: read("status", "VmRSS:"), pssKB: read("smaps_rollup", "Pss:")}
}

func ptr[T any](v T) *T { return &v }
