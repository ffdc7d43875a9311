//go:build e2e

package controlplane

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
)

// httpdManifest is the seed walkthrough's Deployment: httpd (the test
// registry's Apache stand-in under its Docker Hub name), two replicas.
const httpdManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: httpd
        image: httpd:2.4
        ports: [{containerPort: 80}]
`

// kLong runs kubectl with a longer deadline than k's minute.
func (s *server) kLong(t *testing.T, timeout time.Duration, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return s.kubectl(ctx, nil, args...)
}

// rolledOut runs kubectl rollout status and expects it to succeed.
func (s *server) rolledOut(t *testing.T, deploy string) {
	t.Helper()
	out, err := s.kLong(t, 3*time.Minute, "rollout", "status", "deploy/"+deploy, "--timeout=150s")
	if err != nil || !strings.Contains(out, `deployment "`+deploy+`" successfully rolled out`) {
		t.Fatalf("rollout status: %v\n%s", err, out)
	}
}

// waitOutput runs kubectl until its output matches re.
func (n *node) waitOutput(timeout time.Duration, re *regexp.Regexp, args ...string) string {
	n.t.Helper()
	var out string
	n.eventually(timeout, "kubectl "+strings.Join(args, " ")+" matching "+re.String(), func() (bool, string) {
		out, _ = n.s.kubectl(context.Background(), nil, args...)
		return re.MatchString(out), out
	})
	return out
}

// TestDeploymentWalkthrough is the seed walkthrough with the real
// kubectl, on `skiff server` running its node agent over a real skiffd:
// a Deployment of httpd, its ReplicaSet and pods; scaling; a new image
// rolled out; history; undo; a broken image stuck past its progress
// deadline; the events kubectl describe shows; deletion in the
// background, in the foreground and orphaning.
func TestDeploymentWalkthrough(t *testing.T) {
	n := startLocalNode(t)
	s := n.s
	s.k("apply", "-f", s.writeFile("web.yaml", httpdManifest))
	s.rolledOut(t, "web")

	var firstRS string
	t.Run("deployment, replicaset and pods", func(t *testing.T) {
		expectLine(t, s.k("get", "deploy", "web"), "web", "2/2", "2", "2")
		out := s.k("get", "rs", "-l", "app=web")
		m := regexp.MustCompile(`(?m)^(web-[a-z0-9]{8,10})\s+2\s+2\s+2\s`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("replicasets:\n%s", out)
		}
		firstRS = m[1]
		hash := strings.TrimPrefix(firstRS, "web-")
		if got := s.k("get", "rs", firstRS, "-o", `jsonpath={.metadata.labels.pod-template-hash} {.metadata.annotations.deployment\.kubernetes\.io/revision} {.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}`); got != hash+" 1 Deployment/web" {
			t.Errorf("replicaset labels, revision, owner: %q", got)
		}
		pods := s.k("get", "pods", "-l", "app=web", "-o", "wide")
		if c := len(regexp.MustCompile(`(?m)^`+firstRS+`-[a-z0-9]{5}\s+1/1\s+Running\s+0\s+\S+\s+10\.\S+\s+`+nodeName+`\s`).FindAllString(pods, -1)); c != 2 {
			t.Fatalf("%d running pods of %s:\n%s", c, firstRS, pods)
		}
		if got := s.k("get", "deploy", "web", "-o", `jsonpath={.status.observedGeneration} {.status.updatedReplicas} {.status.readyReplicas} {.status.availableReplicas} {.metadata.annotations.deployment\.kubernetes\.io/revision}`); got != "1 2 2 2 1" {
			t.Errorf("deployment status: %q", got)
		}
	})

	t.Run("scale to 4 and back to 2", func(t *testing.T) {
		s.k("scale", "deploy/web", "--replicas=4")
		s.rolledOut(t, "web")
		expectLine(t, s.k("get", "deploy", "web"), "web", "4/4", "4", "4")
		expectLine(t, s.k("get", "rs", firstRS), firstRS, "4", "4", "4")
		s.k("scale", "deploy/web", "--replicas=2")
		s.rolledOut(t, "web")
		expectLine(t, s.k("get", "deploy", "web"), "web", "2/2", "2", "2")
		n.waitOutput(time.Minute, regexp.MustCompile(`^httpd:2.4 httpd:2.4 $`), "get", "pods", "-l", "app=web", "-o", "jsonpath={range .items[*]}{.spec.containers[0].image} {end}")
	})

	t.Run("set image rolls out", func(t *testing.T) {
		s.k("set", "image", "deploy/web", "httpd=httpd:2.4.62")
		s.rolledOut(t, "web")
		expectLine(t, s.k("get", "deploy", "web", "-o", "wide"), "web", "2/2", "2", "2", "*", "httpd", "httpd:2.4.62", "app=web")
		expectLine(t, s.k("get", "rs", firstRS), firstRS, "0", "0", "0")
		n.waitOutput(time.Minute, regexp.MustCompile(`^httpd:2.4.62 httpd:2.4.62 $`), "get", "pods", "-l", "app=web", "-o", "jsonpath={range .items[*]}{.spec.containers[0].image} {end}")
	})

	t.Run("history shows two revisions", func(t *testing.T) {
		out := s.k("rollout", "history", "deploy/web")
		if !regexp.MustCompile(`(?s)REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n`).MatchString(out) {
			t.Fatalf("rollout history:\n%s", out)
		}
		if out := s.k("rollout", "history", "deploy/web", "--revision=1"); !strings.Contains(out, "Image:\thttpd:2.4\n") &&
			!regexp.MustCompile(`Image:\s+httpd:2.4\n`).MatchString(out) {
			t.Fatalf("revision 1:\n%s", out)
		}
	})

	t.Run("undo goes back to the first image", func(t *testing.T) {
		if out := s.k("rollout", "undo", "deploy/web"); !strings.Contains(out, "deployment.apps/web rolled back") {
			t.Fatalf("undo: %s", out)
		}
		s.rolledOut(t, "web")
		expectLine(t, s.k("get", "deploy", "web", "-o", "wide"), "web", "2/2", "2", "2", "*", "httpd", "httpd:2.4", "app=web")
		expectLine(t, s.k("get", "rs", firstRS), firstRS, "2", "2", "2")
		if rev := s.k("get", "rs", firstRS, "-o", `jsonpath={.metadata.annotations.deployment\.kubernetes\.io/revision}/{.metadata.annotations.deployment\.kubernetes\.io/revision-history}`); rev != "3/1" {
			t.Errorf("revision of the first ReplicaSet after undo: %q", rev)
		}
		out := s.k("rollout", "history", "deploy/web")
		if !regexp.MustCompile(`(?s)REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>\n`).MatchString(out) {
			t.Fatalf("rollout history after undo:\n%s", out)
		}
		n.waitOutput(time.Minute, regexp.MustCompile(`^httpd:2.4 httpd:2.4 $`), "get", "pods", "-l", "app=web", "-o", "jsonpath={range .items[*]}{.spec.containers[0].image} {end}")
	})

	t.Run("a broken image is stuck past its progress deadline", func(t *testing.T) {
		s.k("patch", "deploy/web", "-p", `{"spec":{"progressDeadlineSeconds":10}}`)
		s.k("set", "image", "deploy/web", "httpd=httpd:no-such-tag")
		start := time.Now()
		out, err := s.kLong(t, 2*time.Minute, "rollout", "status", "deploy/web", "--timeout=90s")
		if err == nil || !strings.Contains(out+err.Error(), `deployment "web" exceeded its progress deadline`) {
			t.Fatalf("rollout status of a broken image: %v\n%s", err, out)
		}
		if d := time.Since(start); d > 60*time.Second {
			t.Errorf("the deadline of 10s was seen after %s", d)
		}
		cond := s.k("get", "deploy", "web", "-o", `jsonpath={.status.conditions[?(@.type=="Progressing")].status} {.status.conditions[?(@.type=="Progressing")].reason} {.status.conditions[?(@.type=="Available")].status}`)
		if cond != "False ProgressDeadlineExceeded True" {
			t.Fatalf("conditions: %q", cond)
		}
		// maxUnavailable 25% of 2 is 0: both old pods still serve.
		expectLine(t, s.k("get", "deploy", "web"), "web", "2/2", "1", "2")
		n.waitOutput(time.Minute, regexp.MustCompile(`(?m)^web-\S+\s+0/1\s+(ErrImagePull|ImagePullBackOff)\s`), "get", "pods", "-l", "app=web")

		s.k("rollout", "undo", "deploy/web")
		s.rolledOut(t, "web")
		expectLine(t, s.k("get", "deploy", "web", "-o", "wide"), "web", "2/2", "2", "2", "*", "httpd", "httpd:2.4", "app=web")
	})

	t.Run("describe shows the events", func(t *testing.T) {
		out := s.k("describe", "deploy", "web")
		for _, re := range []string{
			`Normal\s+ScalingReplicaSet\s+.*deployment-controller\s+Scaled up replica set ` + firstRS + ` from 0 to 2`,
			`Normal\s+ScalingReplicaSet\s+.*deployment-controller\s+Scaled up replica set ` + firstRS + ` from 2 to 4`,
			`Normal\s+ScalingReplicaSet\s+.*deployment-controller\s+Scaled down replica set ` + firstRS + ` from 4 to 2`,
			`Progressing\s+True\s+NewReplicaSetAvailable`,
			`Available\s+True\s+MinimumReplicasAvailable`,
			`NewReplicaSet:\s+` + firstRS + ` \(2/2 replicas created\)`,
		} {
			if !regexp.MustCompile(re).MatchString(out) {
				t.Errorf("describe deploy lacks %s:\n%s", re, out)
			}
		}
		out = s.k("describe", "rs", firstRS)
		for _, re := range []string{
			`Controlled By:\s+Deployment/web`,
			`Pods Status:\s+2 Running / 0 Waiting / 0 Succeeded / 0 Failed`,
			`Normal\s+SuccessfulCreate\s+.*replicaset-controller\s+Created pod: ` + firstRS + `-`,
			`Normal\s+SuccessfulDelete\s+.*replicaset-controller\s+Deleted pod: ` + firstRS + `-`,
		} {
			if !regexp.MustCompile(re).MatchString(out) {
				t.Errorf("describe rs lacks %s:\n%s", re, out)
			}
		}
	})

	t.Run("delete: background", func(t *testing.T) {
		s.k("delete", "deploy", "web")
		n.waitOutput(time.Minute, regexp.MustCompile(`^$`), "get", "rs,pods", "-l", "app=web", "-o", "name")
	})

	t.Run("delete: foreground waits for the pods", func(t *testing.T) {
		s.k("apply", "-f", s.writeFile("front.yaml", strings.ReplaceAll(httpdManifest, "web", "front")))
		s.rolledOut(t, "front")
		s.k("delete", "deploy", "front", "--cascade=foreground", "--wait=false")
		if f := s.k("get", "deploy", "front", "-o", "jsonpath={.metadata.finalizers} {.metadata.deletionTimestamp}"); !strings.HasPrefix(f, `["foregroundDeletion"] 20`) {
			t.Fatalf("deployment being deleted in the foreground: %q", f)
		}
		if _, err := s.kLong(t, 2*time.Minute, "wait", "--for=delete", "deploy/front", "--timeout=90s"); err != nil {
			t.Fatal(err)
		}
		if out := s.k("get", "rs,pods", "-l", "app=front", "-o", "name"); out != "" {
			t.Fatalf("left after a foreground deletion: %s", out)
		}
	})

	t.Run("delete: orphan keeps the ReplicaSet and its pods", func(t *testing.T) {
		s.k("apply", "-f", s.writeFile("keep.yaml", strings.ReplaceAll(httpdManifest, "web", "keep")))
		s.rolledOut(t, "keep")
		s.k("delete", "deploy", "keep", "--cascade=orphan")
		out := s.k("get", "rs", "-l", "app=keep", "-o", "jsonpath={range .items[*]}{.metadata.name} {.metadata.ownerReferences}{end}")
		if !regexp.MustCompile(`^keep-[a-z0-9]+ $`).MatchString(out) {
			t.Fatalf("orphaned replicaset: %q", out)
		}
		time.Sleep(2 * time.Second) // the collector has had its chance
		pods := s.k("get", "pods", "-l", "app=keep")
		if c := len(regexp.MustCompile(`(?m)^keep-\S+\s+1/1\s+Running\s`).FindAllString(pods, -1)); c != 2 {
			t.Fatalf("pods of the orphaned replicaset:\n%s", pods)
		}
		s.k("delete", "rs", "-l", "app=keep")
		n.waitOutput(time.Minute, regexp.MustCompile(`^$`), "get", "pods", "-l", "app=keep", "-o", "name")
	})
}
