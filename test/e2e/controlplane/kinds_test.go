//go:build e2e

package controlplane

import (
	"regexp"
	"strings"
	"testing"
)

// TestKinds creates one object of many kinds with kubectl's generators and
// reads them back through their table columns.
func TestKinds(t *testing.T) {
	s := startServer(t, "")
	s.k("create", "service", "nodeport", "np", "--tcp=80:8080")
	s.k("create", "job", "pi", "--image=busybox", "--", "true")
	s.k("create", "cronjob", "tick", "--image=busybox", "--schedule=*/5 * * * *", "--", "true")
	s.k("create", "secret", "generic", "creds", "--from-literal=user=admin")
	s.k("create", "serviceaccount", "robot")
	s.k("create", "deployment", "web", "--image=busybox:1.36", "--replicas=2")

	out := s.k("get", "svc", "-o", "wide")
	expectLine(t, out, "NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR")
	expectLine(t, out, "kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP")
	if !regexp.MustCompile(`(?m)^np\s+NodePort\s+10\.\d+\.\d+\.\d+\s+<none>\s+80:3\d{4}/TCP\s`).MatchString(out) {
		t.Fatalf("nodeport service:\n%s", out)
	}
	expectLine(t, s.k("get", "jobs"), "pi", "Running", "0/1")
	expectLine(t, s.k("get", "cronjobs"), "tick", "*/5", "*", "*", "*", "*", "<none>", "false", "0", "<none>")
	expectLine(t, s.k("get", "secrets"), "creds", "Opaque", "1")
	expectLine(t, s.k("get", "sa"), "robot", "0")
	if sel := s.k("get", "job", "pi", "-o", "jsonpath={.spec.selector.matchLabels}"); !strings.Contains(sel, "batch.kubernetes.io/controller-uid") {
		t.Fatalf("job selector %s", sel)
	}
	all := s.k("get", "all")
	for _, want := range []string{"service/np", "deployment.apps/web", "job.batch/pi", "cronjob.batch/tick"} {
		if !strings.Contains(all, want) {
			t.Errorf("get all lacks %s:\n%s", want, all)
		}
	}
	// Discovery lists every kind of the issue.
	res := s.k("api-resources", "-o", "name")
	for _, want := range []string{"namespaces", "pods", "nodes", "services", "endpoints", "configmaps", "secrets", "serviceaccounts",
		"events", "persistentvolumeclaims", "deployments.apps", "replicasets.apps", "statefulsets.apps", "daemonsets.apps",
		"controllerrevisions.apps", "jobs.batch", "cronjobs.batch", "endpointslices.discovery.k8s.io",
		"leases.coordination.k8s.io", "events.events.k8s.io"} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(want) + `$`).MatchString(res) {
			t.Errorf("api-resources lacks %s", want)
		}
	}
}

// TestNamespaceDeletion: deleting a namespace removes what is in it; it
// stays Terminating, saying why, while something is held; then it goes.
func TestNamespaceDeletion(t *testing.T) {
	s := startServer(t, "")
	s.k("create", "namespace", "scratch")
	s.k("-n", "scratch", "create", "configmap", "c", "--from-literal=a=1")
	s.k("-n", "scratch", "create", "deployment", "d", "--image=busybox")
	s.k("-n", "scratch", "run", "p", "--image=busybox")
	// An object held by a finalizer keeps the namespace Terminating, and
	// its conditions say why.
	s.k("apply", "-f", s.writeFile("held.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: held, namespace: scratch, finalizers: [example.com/hold]}\n"))
	s.k("delete", "namespace", "scratch", "--wait=false")
	s.eventually(t, "Terminating True Some resources are remaining: configmaps. has 1 resource instances|"+
		"True Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances",
		"get", "namespace", "scratch", "-o", `jsonpath={.status.phase} `+
			`{.status.conditions[?(@.type=="NamespaceContentRemaining")].status} {.status.conditions[?(@.type=="NamespaceContentRemaining")].message}|`+
			`{.status.conditions[?(@.type=="NamespaceFinalizersRemaining")].status} {.status.conditions[?(@.type=="NamespaceFinalizersRemaining")].message}`)
	if stderr := s.kFail("-n", "scratch", "create", "configmap", "late"); !strings.Contains(stderr, "is being terminated") {
		t.Fatalf("create in a terminating namespace: %s", stderr)
	}
	s.k("-n", "scratch", "patch", "configmap", "held", "--type=merge", "-p", `{"metadata":{"finalizers":null}}`)
	s.k("wait", "--for=delete", "namespace/scratch", "--timeout=60s")
	if stderr := s.kFail("get", "namespace", "scratch"); !strings.Contains(stderr, "not found") {
		t.Fatalf("namespace after delete: %s", stderr)
	}
	for _, kind := range []string{"configmaps", "deployments", "pods"} {
		if out := s.k("get", kind, "-A", "-o", "name"); strings.Contains(out, "/c\n") || strings.Contains(out, "/d\n") || strings.Contains(out, "/p\n") {
			t.Errorf("%s left after namespace deletion: %s", kind, out)
		}
	}
}

// TestPodBindingAndEviction: the scheduler's binding and kubectl drain's
// eviction.
func TestPodBindingAndEviction(t *testing.T) {
	s := startServer(t, "")
	s.k("run", "p", "--image=busybox")
	const binding = `{"apiVersion":"v1","kind":"Binding","metadata":{"name":"p"},"target":{"kind":"Node","name":"node-1"}}`
	if code, body := s.raw("POST", "/api/v1/namespaces/default/pods/p/binding", "application/json", []byte(binding)); code != 201 {
		t.Fatalf("binding: %d %s", code, body)
	}
	if code, body := s.raw("POST", "/api/v1/namespaces/default/pods/p/binding", "application/json", []byte(binding)); code != 409 {
		t.Fatalf("second binding: %d %s", code, body)
	}
	expectLine(t, s.k("get", "pod", "p", "-o", "wide"), "p", "0/1", "Pending", "0", "*", "<none>", "node-1")
	if c := s.k("get", "pod", "p", "-o", `jsonpath={.status.conditions[?(@.type=="PodScheduled")].status}`); c != "True" {
		t.Fatalf("PodScheduled %q", c)
	}
	// A bound pod waits for its node when deleted; an eviction with
	// grace 0 removes it.
	s.k("delete", "pod", "p", "--wait=false")
	expectLine(t, s.k("get", "pod", "p"), "p", "0/1", "Terminating")
	const eviction = `{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"p"},"deleteOptions":{"gracePeriodSeconds":0}}`
	if code, body := s.raw("POST", "/api/v1/namespaces/default/pods/p/eviction", "application/json", []byte(eviction)); code != 201 {
		t.Fatalf("eviction: %d %s", code, body)
	}
	if stderr := s.kFail("get", "pod", "p"); !strings.Contains(stderr, "not found") {
		t.Fatalf("pod after eviction: %s", stderr)
	}
}

// TestEventsBothAPIs: an events.k8s.io/v1 event is a v1 event too, found
// by the field selectors kubectl describe uses.
func TestEventsBothAPIs(t *testing.T) {
	s := startServer(t, "")
	s.k("apply", "-f", s.writeFile("ev.yaml", `apiVersion: events.k8s.io/v1
kind: Event
metadata: {name: e1}
eventTime: "2026-01-02T03:04:05.000000Z"
reportingController: example.com/test
reportingInstance: test-1
action: Testing
reason: Tested
note: hello there
type: Warning
regarding: {kind: Pod, name: p, namespace: default}
`))
	expectLine(t, s.k("get", "events"), "*", "Warning", "Tested", "pod/p", "hello", "there")
	if out := s.k("get", "events", "--field-selector", "involvedObject.name=p,involvedObject.kind=Pod", "-o", "name"); out != "event/e1\n" {
		t.Fatalf("field selector: %q", out)
	}
	if out := s.k("get", "events.v1.events.k8s.io", "e1", "-o", "jsonpath={.note}"); out != "hello there" {
		t.Fatalf("events.k8s.io note %q", out)
	}
	stderr := s.kFail("apply", "-f", s.writeFile("bad.yaml", "apiVersion: events.k8s.io/v1\nkind: Event\nmetadata: {name: e2}\nnote: x\n"))
	if !strings.Contains(stderr, "eventTime: Required value") {
		t.Fatalf("event without eventTime: %s", stderr)
	}
}
