//go:build e2e

package controlplane

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const fullManifest = `apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {color: blue}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: s3cret}
---
apiVersion: v1
kind: Pod
metadata: {name: full}
spec:
  nodeName: node1
  terminationGracePeriodSeconds: 2
  initContainers:
  - name: init
    image: busybox:1.36
    command: [sh, -c, 'date +%s.%N > /work/init; echo init done']
    volumeMounts: [{name: work, mountPath: /work}]
  containers:
  - name: app
    image: busybox:1.36
    command: [sh, -c, 'echo "init ran: $(cat /work/init)"; echo "color=$(cat /config/color) password=$(cat /secret/password)"; echo "env=$COLOR/$PASSWORD/$NODE"; exec sleep 1000']
    env:
    - {name: COLOR, valueFrom: {configMapKeyRef: {name: settings, key: color}}}
    - {name: PASSWORD, valueFrom: {secretKeyRef: {name: creds, key: password}}}
    - {name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
    volumeMounts:
    - {name: work, mountPath: /work}
    - {name: config, mountPath: /config}
    - {name: secret, mountPath: /secret}
  volumes:
  - {name: work, emptyDir: {}}
  - {name: config, configMap: {name: settings}}
  - {name: secret, secret: {secretName: creds}}
`

const probesManifest = `apiVersion: v1
kind: Pod
metadata: {name: probed}
spec:
  nodeName: node1
  terminationGracePeriodSeconds: 1
  containers:
  - name: ready
    image: busybox:1.36
    command: [sleep, "1000"]
    readinessProbe:
      exec: {command: [test, -f, /tmp/ready]}
      periodSeconds: 1
  - name: live
    image: busybox:1.36
    command: [sh, -c, 'touch /tmp/alive; sleep 2; rm /tmp/alive; exec sleep 1000']
    livenessProbe:
      exec: {command: [test, -f, /tmp/alive]}
      periodSeconds: 1
      failureThreshold: 1
`

// TestAgentRunsPods drives one node agent (`skiff agent` on a real
// skiffd) with the real kubectl: scheduling by hand, logs, init
// containers, volumes, probes, restarts, graceful deletion, static pods.
func TestAgentRunsPods(t *testing.T) {
	n := startNode(t)
	s := n.s

	t.Run("node", func(t *testing.T) {
		expectLine(t, s.k("get", "nodes", "-o", "wide"), nodeName, "Ready", "<none>", "*", "*", "127.0.0.1")
		lease, err := n.client.CoordinationV1().Leases("kube-node-lease").Get(context.Background(), nodeName, metav1.GetOptions{})
		if err != nil || *lease.Spec.HolderIdentity != nodeName {
			t.Fatalf("lease: %v %v", lease, err)
		}
	})

	t.Run("run", func(t *testing.T) {
		s.k("run", "web", "--image=busybox:1.36", "--", "sh", "-c", `echo hello from web; i=0; while true; do echo tick $i; i=$((i+1)); sleep 1; done`)
		// skiff server's scheduler binds it; without one, bind it as the
		// scheduler would.
		time.Sleep(3 * time.Second)
		if n.pod("web").Spec.NodeName == "" {
			err := n.client.CoreV1().Pods("default").Bind(context.Background(), &corev1.Binding{
				ObjectMeta: metav1.ObjectMeta{Name: "web"}, Target: corev1.ObjectReference{Kind: "Node", Name: nodeName}}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
		}
		p := n.waitPod("web", time.Minute, "running", running)
		expectLine(t, s.k("get", "pods", "-o", "wide"), "web", "1/1", "Running", "0", "*", p.Status.PodIP, nodeName)
		if !strings.HasPrefix(p.Status.PodIP, "10.") || p.Status.HostIP != "127.0.0.1" || p.Status.QOSClass != corev1.PodQOSBestEffort {
			t.Errorf("status: podIP %q hostIP %q qos %q", p.Status.PodIP, p.Status.HostIP, p.Status.QOSClass)
		}
	})

	t.Run("logs", func(t *testing.T) {
		n.eventually(20*time.Second, "log lines", func() (bool, string) {
			out, _ := s.kubectl(context.Background(), nil, "logs", "web")
			return strings.HasPrefix(out, "hello from web\ntick 0\ntick 1\n"), out
		})
		if out := s.k("logs", "web", "--tail=1"); !regexp.MustCompile(`^tick \d+\n$`).MatchString(out) {
			t.Errorf("--tail=1: %q", out)
		}
		if out := s.k("logs", "web", "--tail=1", "--timestamps"); !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\S+Z tick \d+\n$`).MatchString(out) {
			t.Errorf("--timestamps: %q", out)
		}
		if out := s.k("logs", "web", "--limit-bytes=5"); out != "hello" {
			t.Errorf("--limit-bytes=5: %q", out)
		}
		followLogs(t, s) // takes 2 s at least
		if out := s.k("logs", "web", "--since=1s"); strings.Contains(out, "hello") || !strings.Contains(out, "tick") {
			t.Errorf("--since=1s: %q", out)
		}
		stderr := s.kFail("logs", "web", "-c", "nope")
		if !strings.Contains(stderr, "container nope is not valid for pod web") {
			t.Errorf("unknown container: %s", stderr)
		}
	})

	t.Run("init container, configMap and secret", func(t *testing.T) {
		s.k("apply", "-f", s.writeFile("full.yaml", fullManifest))
		p := n.waitPod("full", time.Minute, "running", running)
		init := p.Status.InitContainerStatuses[0]
		if init.State.Terminated == nil || init.State.Terminated.Reason != "Completed" || init.State.Terminated.FinishedAt.After(p.Status.ContainerStatuses[0].State.Running.StartedAt.Time) {
			t.Errorf("init container: %+v, app started %v", init.State, p.Status.ContainerStatuses[0].State.Running)
		}
		if out := s.k("logs", "full", "-c", "init"); out != "init done\n" {
			t.Errorf("init log %q", out)
		}
		n.eventually(10*time.Second, "app log", func() (bool, string) {
			out, _ := s.kubectl(context.Background(), nil, "logs", "full", "-c", "app")
			return strings.Contains(out, "init ran: 1") && strings.Contains(out, "color=blue password=s3cret\nenv=blue/s3cret/node1\n"), out
		})
		for _, c := range p.Status.Conditions {
			if c.Status != corev1.ConditionTrue {
				t.Errorf("condition %s is %s (%s)", c.Type, c.Status, c.Message)
			}
		}
		// A ConfigMap change reaches the mounted volume.
		s.k("patch", "configmap", "settings", "-p", `{"data":{"color":"green"}}`)
		id := n.containerID("full", "app")
		n.eventually(90*time.Second, "configMap update in the volume", func() (bool, string) {
			out := n.execSync(id, "cat", "/config/color")
			return out == "green", out
		})
	})

	t.Run("probes", func(t *testing.T) {
		s.k("apply", "-f", s.writeFile("probes.yaml", probesManifest))
		p := n.waitPod("probed", time.Minute, "containers running", func(p *corev1.Pod) bool {
			return len(p.Status.ContainerStatuses) == 2 && p.Status.ContainerStatuses[0].State.Running != nil
		})
		if ready(p) {
			t.Fatal("ready before its readiness probe passed")
		}
		n.execSync(n.containerID("probed", "ready"), "touch", "/tmp/ready")
		n.waitPod("probed", 20*time.Second, "ready container ready", func(p *corev1.Pod) bool { return p.Status.ContainerStatuses[0].Ready })
		// The liveness probe fails 2 s after each start: restarts, then
		// back-off.
		sawBackOff := false
		n.waitPod("probed", 2*time.Minute, "restarted twice with a back-off", func(p *corev1.Pod) bool {
			live := p.Status.ContainerStatuses[1]
			if w := live.State.Waiting; w != nil && w.Reason == "CrashLoopBackOff" && strings.Contains(w.Message, "back-off") {
				sawBackOff = true
			}
			return live.RestartCount >= 2 && sawBackOff
		})
		out := s.k("get", "pod", "probed")
		if !regexp.MustCompile(`probed\s+\d/2\s+(Running|CrashLoopBackOff)\s+[2-9]`).MatchString(out) {
			t.Errorf("kubectl get shows no restarts:\n%s", out)
		}
		n.execSync(n.containerID("probed", "ready"), "rm", "/tmp/ready")
		n.waitPod("probed", 20*time.Second, "ready container unready", func(p *corev1.Pod) bool { return !p.Status.ContainerStatuses[0].Ready })
		if events := s.k("get", "events", "--field-selector", "involvedObject.name=probed"); !strings.Contains(events, "Liveness probe failed") {
			t.Errorf("no Unhealthy event:\n%s", events)
		}
	})

	t.Run("graceful deletion", func(t *testing.T) {
		// full's app is `sleep`, pid 1, which ignores SIGTERM: it goes at
		// the end of its 2 s grace period.
		start := time.Now()
		s.k("delete", "pod", "full")
		if d := time.Since(start); d < 1500*time.Millisecond || d > 15*time.Second {
			t.Errorf("deletion of a pod with a 2 s grace period took %s", d)
		}
		n.eventually(20*time.Second, "full's containers removed", func() (bool, string) {
			cs := n.containers()
			return !strings.Contains(strings.Join(cs, ","), "full/"), strings.Join(cs, ",")
		})
	})

	t.Run("static pod", func(t *testing.T) {
		n.writeManifest("static.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: static, labels: {app: static}}\nspec:\n  containers:\n  - {name: c, image: busybox:1.36, command: [sleep, '1000']}\n")
		mirror := "static-" + nodeName
		p := n.waitPod(mirror, time.Minute, "mirror running", running)
		if p.Annotations["kubernetes.io/config.mirror"] == "" || p.Annotations["kubernetes.io/config.source"] != "file" || p.Annotations["kubernetes.io/config.hash"] == "" {
			t.Errorf("mirror annotations %v", p.Annotations)
		}
		if len(p.OwnerReferences) != 1 || p.OwnerReferences[0].Kind != "Node" {
			t.Errorf("mirror owners %v", p.OwnerReferences)
		}
		expectLine(t, s.k("get", "pods", "-o", "wide"), mirror, "1/1", "Running", "0", "*", "*", nodeName)
		// Deleting the mirror does not stop the static pod: it comes back.
		id := n.containerID(mirror, "c")
		s.k("delete", "pod", mirror, "--wait=false")
		n.eventually(30*time.Second, "mirror recreated", func() (bool, string) {
			p, err := n.client.CoreV1().Pods("default").Get(context.Background(), mirror, metav1.GetOptions{})
			return err == nil && p.UID != "" && p.DeletionTimestamp == nil && running(p), fmt.Sprint(err)
		})
		if again := n.containerID(mirror, "c"); again != id {
			t.Errorf("the static pod restarted: %s then %s", id, again)
		}
	})
}

// followLogs checks that logs -f streams new lines as they come.
func followLogs(t *testing.T, s *server) {
	sc := bufio.NewScanner(s.background(t, "logs", "-f", "web", "--tail=1"))
	var ticks []int
	for len(ticks) < 3 && sc.Scan() {
		var i int
		if _, err := fmt.Sscanf(sc.Text(), "tick %d", &i); err == nil {
			ticks = append(ticks, i)
		}
	}
	if len(ticks) < 3 || ticks[2] != ticks[0]+2 {
		t.Errorf("logs -f gave ticks %v (%v)", ticks, sc.Err())
	}
}

// TestAgentStreams: kubectl exec (tty and not), attach and port-forward
// go from kubectl (WebSocket v5) through skiff server and the agent to
// skiffd's streaming server.
func TestAgentStreams(t *testing.T) {
	n := startNode(t)
	s := n.s
	s.k("apply", "-f", s.writeFile("web.yaml", `apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  nodeName: node1
  containers:
  - name: httpd
    image: busybox:1.36
    command: [sh, -c, 'mkdir -p /www; echo hello over port-forward > /www/index.html; httpd -p 8080 -h /www; i=0; while true; do echo tick $i; i=$((i+1)); sleep 1; done']
    ports: [{containerPort: 8080}]
`))
	n.waitPod("web", time.Minute, "running", running)
	if _, err := n.cri.Exec(context.Background(), execRequest(n.containerID("web", "httpd"))); isUnimplemented(err) {
		t.Skip("skiffd does not serve streaming exec, attach and port-forward yet (issue 9): " + err.Error())
	}

	t.Run("exec", func(t *testing.T) {
		if out := s.k("exec", "web", "--", "sh", "-c", "echo out; echo err >&2"); out != "out\n" {
			t.Errorf("exec stdout %q", out)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := s.command(ctx, nil, "exec", "-i", "web", "--", "sh", "-c", "tr a-z A-Z; exit 3")
		cmd.Stdin = strings.NewReader("piped in\n")
		out, err := cmd.Output()
		if string(out) != "PIPED IN\n" {
			t.Errorf("exec -i: %q", out)
		}
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
			t.Errorf("exit code: %v", err)
		}
	})

	t.Run("exec -it", func(t *testing.T) {
		// script gives kubectl a terminal.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		kubectl := s.command(ctx, nil).Path
		cmd := exec.CommandContext(ctx, "script", "-qec", kubectl+" exec -it web -- sh -c 'tty; echo cols=$(stty size)'", "/dev/null")
		cmd.Env = s.command(ctx, nil).Env
		cmd.Stdin = strings.NewReader("")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "/dev/pts/") {
			t.Errorf("exec -it: %v\n%s", err, out)
		}
	})

	t.Run("attach", func(t *testing.T) {
		out := s.background(t, "attach", "web")
		line, _ := bufio.NewReader(out).ReadString('\n')
		if !strings.HasPrefix(line, "tick ") {
			t.Errorf("attach read %q", line)
		}
	})

	t.Run("port-forward", func(t *testing.T) {
		out := s.background(t, "port-forward", "pod/web", ":8080")
		line, _ := bufio.NewReader(out).ReadString('\n')
		m := regexp.MustCompile(`Forwarding from 127\.0\.0\.1:(\d+) -> 8080`).FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("port-forward printed %q", line)
		}
		resp, err := http.Get("http://127.0.0.1:" + m[1] + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "hello over port-forward\n" {
			t.Errorf("through port-forward: %q", body)
		}
	})
}

// TestAgentAdoptsAfterRestarts: kill -9 of the agent, then of skiffd,
// restarts no running container.
func TestAgentAdoptsAfterRestarts(t *testing.T) {
	n := startNode(t)
	s := n.s
	s.k("apply", "-f", s.writeFile("pods.yaml", strings.Replace(fullManifest, "name: full", "name: keep", 1)))
	n.writeManifest("static.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: static}\nspec:\n  containers:\n  - {name: c, image: busybox:1.36, command: [sleep, '1000']}\n")
	n.waitPod("keep", time.Minute, "running", running)
	n.waitPod("static-"+nodeName, time.Minute, "running", running)
	before := n.containers()

	n.agent.kill9()
	n.startAgent()
	n.waitReady()
	time.Sleep(5 * time.Second) // a few syncs and relists
	if after := n.containers(); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Fatalf("after kill -9 of the agent:\nbefore %v\nafter  %v", before, after)
	}

	n.skiffd.kill9()
	time.Sleep(3 * time.Second) // the agent meets a dead runtime
	n.startSkiffd()
	time.Sleep(5 * time.Second)
	if after := n.containers(); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Fatalf("after kill -9 of skiffd:\nbefore %v\nafter  %v", before, after)
	}
	for _, name := range []string{"keep", "static-" + nodeName} {
		p := n.waitPod(name, 30*time.Second, "running", running)
		for _, c := range p.Status.ContainerStatuses {
			if c.RestartCount != 0 {
				t.Errorf("%s/%s restarted %d times", name, c.Name, c.RestartCount)
			}
		}
	}
}

// TestServerRunsLocalAgent: `skiff server` runs a node agent for the
// local skiffd; pods run and their logs come back through it.
func TestServerRunsLocalAgent(t *testing.T) {
	n := startLocalNode(t)
	n.s.k("run", "hello", "--image=busybox:1.36", "--restart=Never", "--overrides", `{"spec":{"nodeName":"`+nodeName+`"}}`, "--", "echo", "hello from the local agent")
	n.waitPod("hello", time.Minute, "succeeded", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodSucceeded })
	if out := n.s.k("logs", "hello"); out != "hello from the local agent\n" {
		t.Errorf("logs %q", out)
	}
	expectLine(t, n.s.k("get", "pods"), "hello", "0/1", "Completed", "0")
}
