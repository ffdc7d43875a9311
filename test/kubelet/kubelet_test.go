//go:build kubelet

package kubelet

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	utilexec "k8s.io/client-go/util/exec"
)

const (
	webPod   = "web-" + nodeName
	crashPod = "crash-" + nodeName
)

// TestStandaloneKubelet runs one kubelet on one skiffd through a pod's
// life: start with probes, logs, exec, stats, a crash loop, a kill -9 of
// skiffd, a manifest change and deletion. The steps share the node and run
// in order; the kubelet's log is checked at the end.
func TestStandaloneKubelet(t *testing.T) {
	n := startNode(t)
	crash := watchRuns(t, n.api, crashPod, "crash")
	n.writeManifest("crash", crashManifest)
	n.writeManifest("web", web("1"))
	var windows []window

	first := n.waitReady(t, webPod, "", 2*time.Minute)
	t.Run("probes make the pod ready", func(t *testing.T) { n.checkServes(t, first, "web 1") })
	t.Run("the pod's status names its image", func(t *testing.T) { checkImageNames(t, first) })
	t.Run("sidecar logs through containerLogs", n.checkSidecarLogs)
	t.Run("run through ExecSync", func(t *testing.T) { n.checkRun(t, first, "1") })
	t.Run("exec", n.checkExec)
	t.Run("stats summary", n.checkStatsSummary)
	t.Run("checkpoint through the kubelet's API", func(t *testing.T) { n.checkCheckpoint(t, first) })
	t.Run("skiffd killed with -9 under the kubelet", func(t *testing.T) { windows = append(windows, n.checkSkiffdKill(t)) })
	t.Run("crash loop backs off and counts restarts", func(t *testing.T) { n.checkCrashLoop(t, crash) })
	t.Run("the kubelet rotates a container log", func(t *testing.T) { n.checkLogRotation(t, first) })
	var second *corev1.Pod
	t.Run("a changed manifest replaces the pod", func(t *testing.T) { second = n.checkReplace(t, first) })
	t.Run("deleting the manifests removes everything", func(t *testing.T) {
		uids := []string{string(first.UID), crash.uid()}
		if second != nil {
			uids = append(uids, string(second.UID))
		}
		n.checkDelete(t, uids)
	})
	t.Run("kubelet log has no error caused by the runtime", func(t *testing.T) {
		lines, err := unexplainedErrors(n.kubelet.log, windows)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			t.Errorf("kubelet error line: %s", l)
		}
	})
}

// waitReady waits until the pod named name, with a UID other than
// notUID, is Ready, and returns it.
func (n *node) waitReady(t *testing.T, name, notUID string, timeout time.Duration) *corev1.Pod {
	t.Helper()
	var found *corev1.Pod
	err := poll(timeout, func() error {
		pods, err := n.api.pods()
		if err != nil {
			return err
		}
		p := findPod(pods, name)
		switch {
		case p == nil:
			return fmt.Errorf("no pod %s", name)
		case string(p.UID) == notUID:
			return fmt.Errorf("pod %s still has UID %s", name, notUID)
		case !ready(p):
			return fmt.Errorf("pod %s not ready: %+v", name, p.Status)
		}
		found = p
		return nil
	})
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, n.kubelet.tail(30), n.skiffd.tail(20))
	}
	return found
}

// checkServes checks that the pod's readiness matches what its server
// really serves on the pod IP, reached from the host.
func (n *node) checkServes(t *testing.T, p *corev1.Pod, want string) {
	if c := containerStatus(p, "web"); c == nil || !c.Ready {
		t.Errorf("container web not ready: %+v", p.Status.ContainerStatuses)
	}
	resp, err := http.Get("http://" + p.Status.PodIP + ":8080/")
	if err != nil {
		t.Fatalf("GET the pod's server: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if strings.TrimSpace(string(body)) != want {
		t.Errorf("pod serves %q, want %q", body, want)
	}
}

// checkImageNames checks the image and imageID the kubelet shows for each
// container: the image's name and its repo digest, as with containerd and
// cri-o, though the kubelet creates containers from an image ID.
func checkImageNames(t *testing.T, p *corev1.Pod) {
	for _, c := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
		if c.Image != "docker.io/library/busybox:latest" || !strings.HasPrefix(c.ImageID, "docker.io/library/busybox@sha256:") {
			t.Errorf("container %s: image %q, imageID %q", c.Name, c.Image, c.ImageID)
		}
	}
}

// checkRun runs commands through the kubelet's /run, which uses ExecSync:
// the web root, what the postStart hook wrote, and the hostname and hosts
// file the kubelet gave the pod.
func (n *node) checkRun(t *testing.T, p *corev1.Pod, version string) {
	for _, c := range []struct{ cmd, want string }{
		{"cat /www/index.html", "web " + version + "\n"},
		{"cat /tmp/poststart", "started\n"},
		{"hostname", webPod + "\n"},
		{"cat /sys/fs/cgroup/memory/memory.limit_in_bytes", "67108864\n"},
		{"cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us", "20000\n"},
	} {
		out, err := n.api.run(webPod, "web", c.cmd)
		if err != nil || out != c.want {
			t.Errorf("/run %s: %q, %v; want %q", c.cmd, out, err, c.want)
		}
	}
	hosts, err := n.api.run(webPod, "web", "cat /etc/hosts")
	if err != nil || !strings.Contains(hosts, p.Status.PodIP+"\t"+webPod+"\n") {
		t.Errorf("/etc/hosts lacks %s %s: %q, %v", p.Status.PodIP, webPod, hosts, err)
	}
}

// unimplemented matches gRPC's answer for an RPC a server lacks.
var unimplemented = regexp.MustCompile(`code = Unimplemented desc = (?:method (\w+) not implemented)?`)

// skipIfUnimplemented skips t when err says skiffd answered Unimplemented,
// naming the RPC and the issue that brings it.
func skipIfUnimplemented(t *testing.T, err error, issue string) {
	t.Helper()
	if err == nil {
		return
	}
	if m := unimplemented.FindStringSubmatch(err.Error()); m != nil {
		rpc := m[1]
		if rpc == "" {
			rpc = "an RPC"
		}
		t.Skipf("skiffd answers %s with Unimplemented until %s lands: %v", rpc, issue, err)
	}
}

func (n *node) checkExec(t *testing.T) {
	stdout, stderr, err := n.api.exec(webPod, "web", "sh", "-c", "cat /www/index.html; echo oops >&2")
	skipIfUnimplemented(t, err, "the streaming issue (9)")
	if err != nil {
		t.Fatal(err)
	}
	if stdout != "web 1\n" || stderr != "oops\n" {
		t.Errorf("exec: stdout %q, stderr %q", stdout, stderr)
	}
	_, _, err = n.api.exec(webPod, "web", "sh", "-c", "exit 7")
	var exit utilexec.ExitError
	if !errors.As(err, &exit) || exit.ExitStatus() != 7 {
		t.Errorf("exec of a command exiting 7: %v", err)
	}
}

// checkStatsSummary checks that /stats/summary, which the kubelet builds
// from skiffd's stats RPCs and from cAdvisor's view of the pod's cgroup,
// has the web pod's CPU and memory, and each container's. cAdvisor needs
// two samples for a rate, hence the wait.
//
// Not the pod's network: in its default mode (PodAndContainerStatsFromCRI
// off, beta in 1.37) the kubelet takes it from cAdvisor, which reads a
// netns's counters only for containers of the runtimes it knows
// (containerd, cri-o), never from the CRI.
func (n *node) checkStatsSummary(t *testing.T) {
	_, err := n.api.statsSummary()
	skipIfUnimplemented(t, err, "the stats issue (10)")
	err = poll(45*time.Second, func() error {
		s, err := n.api.statsSummary()
		if err != nil {
			return err
		}
		for _, p := range s.Pods {
			if p.PodRef.Name != webPod {
				continue
			}
			if m := p.missing(); m != "" {
				return fmt.Errorf("pod %s has no %s", webPod, m)
			}
			if len(p.Containers) != 2 {
				return fmt.Errorf("pod %s has stats for %d containers, want web and logger", webPod, len(p.Containers))
			}
			for _, c := range p.Containers {
				if m := c.missing(); m != "" {
					return fmt.Errorf("container %s has no %s", c.Name, m)
				}
			}
			return nil
		}
		return fmt.Errorf("/stats/summary does not list %s", webPod)
	})
	if err != nil {
		t.Error(err)
	}
}
