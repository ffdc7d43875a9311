//go:build e2e

package controlplane

import (
	"bufio"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
)

// validate is kubectl's default: it reads /openapi/v3, sees that PATCH
// declares fieldValidation and leaves strict validation to the server.
var validate = "--validate=strict"

const webManifest = `apiVersion: apps/v1
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
      containers:
      - name: httpd
        image: busybox:1.36
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  color: blue
`

// columns matches a table line by its whitespace-separated cells; "*"
// is any cell.
func columns(cells ...string) *regexp.Regexp {
	for i, c := range cells {
		if c == "*" {
			cells[i] = `\S+`
		} else {
			cells[i] = regexp.QuoteMeta(c)
		}
	}
	return regexp.MustCompile(`(?m)^` + strings.Join(cells, `\s+`) + `(\s|$)`)
}

func expectLine(t *testing.T, out string, cells ...string) {
	t.Helper()
	if !columns(cells...).MatchString(out) {
		t.Fatalf("no line %q in:\n%s", cells, out)
	}
}

func TestKubectlWorkflow(t *testing.T) {
	s := startServer(t, "")
	manifest := s.writeFile("web.yaml", webManifest)

	out := s.k("apply", validate, "-f", manifest)
	if !strings.Contains(out, "deployment.apps/web created") || !strings.Contains(out, "configmap/settings created") {
		t.Fatalf("apply: %s", out)
	}

	t.Run("openapi and strict validation", func(t *testing.T) {
		if out := s.k("get", "--raw", "/openapi/v3"); !strings.Contains(out, `"apis/apps/v1"`) {
			t.Fatalf("/openapi/v3 index: %.300s", out)
		}
		bad := s.writeFile("bad.yaml", strings.Replace(webManifest, "  replicas: 2", "  replicas: 2\n  bogus: 1", 1))
		stderr := s.kFail("apply", validate, "-f", bad)
		if !strings.Contains(stderr, `unknown field "spec.bogus"`) {
			t.Fatalf("apply with an unknown field: %s", stderr)
		}
	})

	t.Run("get columns", func(t *testing.T) {
		// The controllers create the ReplicaSet and its pods; no node
		// runs them.
		s.eventually(t, "2", "get", "deploy", "web", "-o", "jsonpath={.status.updatedReplicas}")
		out := s.k("get", "deployments")
		expectLine(t, out, "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE")
		expectLine(t, out, "web", "0/2", "2", "0")
		out = s.k("get", "deploy", "-o", "wide")
		expectLine(t, out, "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR")
		expectLine(t, out, "web", "0/2", "2", "0", "*", "httpd", "busybox:1.36", "app=web")
		expectLine(t, s.k("get", "cm", "settings"), "settings", "1")
		expectLine(t, s.k("get", "ns"), "kube-system", "Active")
	})

	t.Run("get yaml has defaults and server fields", func(t *testing.T) {
		out := s.k("get", "deploy", "web", "-o", "yaml")
		for _, want := range []string{"uid: ", "creationTimestamp: ", "generation: 1", "resourceVersion: ",
			"revisionHistoryLimit: 10", "maxSurge: 25%", "imagePullPolicy: IfNotPresent", "terminationGracePeriodSeconds: 30",
			"protocol: TCP", "kubectl.kubernetes.io/last-applied-configuration"} {
			if !strings.Contains(out, want) {
				t.Errorf("-o yaml lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("watch sees changes", func(t *testing.T) {
		lines := s.watch(t, "get", "deploy", "web", "-w")
		s.k("scale", "deploy", "web", "--replicas=3")
		waitLine(t, lines, columns("web", "0/3"))
	})

	t.Run("patch types", func(t *testing.T) {
		s.k("patch", "deploy", "web", "--type=merge", "-p", `{"metadata":{"labels":{"merge":"yes"}}}`)
		s.k("patch", "deploy", "web", "--type=json", "-p", `[{"op":"add","path":"/metadata/labels/json","value":"yes"}]`)
		s.k("patch", "deploy", "web", "-p", `{"spec":{"template":{"spec":{"containers":[{"name":"httpd","image":"busybox:1.37"}]}}}}`)
		out := s.k("get", "deploy", "web", "-o", "jsonpath={.metadata.labels.merge} {.metadata.labels.json} "+
			"{.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports[0].containerPort} {.metadata.generation}")
		if out != "yes yes busybox:1.37 80 3" {
			t.Fatalf("after patches: %q", out)
		}
		stderr := s.kFail("patch", "deploy", "web", "--type=json", "-p", `[{"op":"test","path":"/spec/replicas","value":9}]`)
		if !strings.Contains(stderr, "is invalid") {
			t.Fatalf("failed json-patch test: %s", stderr)
		}
	})

	t.Run("label and scale", func(t *testing.T) {
		s.k("label", "deploy", "web", "tier=front")
		expectLine(t, s.k("get", "deploy", "-l", "tier=front"), "web", "0/3")
		if out := s.k("get", "deploy", "-l", "tier=back"); strings.Contains(out, "web") {
			t.Fatalf("selector matched: %s", out)
		}
		s.k("scale", "deploy", "web", "--replicas=4")
		if out := s.k("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"); out != "4" {
			t.Fatalf("replicas %q", out)
		}
	})

	t.Run("edit", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err := s.kubectl(ctx, []string{`KUBE_EDITOR=sed -i s/color:\ blue/color:\ green/`}, "edit", validate, "cm", "settings")
		if err != nil {
			t.Fatal(err)
		}
		if out := s.k("get", "cm", "settings", "-o", "jsonpath={.data.color}"); out != "green" {
			t.Fatalf("after edit: %q", out)
		}
	})

	t.Run("server-side apply conflict", func(t *testing.T) {
		stderr := s.kFail("apply", "--server-side", validate, "-f", manifest)
		if !strings.Contains(stderr, `with subresource "scale"`) || !strings.Contains(stderr, ".spec.replicas") {
			t.Fatalf("no scale conflict reported: %s", stderr)
		}
		s.k("apply", "--server-side", "--force-conflicts", validate, "-f", manifest)
		if out := s.k("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"); out != "2" {
			t.Fatalf("replicas after forced apply %q", out)
		}
	})

	t.Run("delete waits until gone", func(t *testing.T) {
		s.k("delete", "deploy", "web")
		stderr := s.kFail("get", "deploy", "web")
		if !strings.Contains(stderr, `deployments.apps "web" not found`) {
			t.Fatalf("get after delete: %s", stderr)
		}
	})
}

// watch starts kubectl in the background and returns its output lines.
func (s *server) watch(t *testing.T, args ...string) <-chan string {
	t.Helper()
	out := s.background(t, args...)
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	// The first line is the current state: the watch is established.
	select {
	case <-lines:
	case <-time.After(20 * time.Second):
		t.Fatal("watch printed nothing")
	}
	return lines
}

func waitLine(t *testing.T, lines <-chan string, re *regexp.Regexp) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("watch ended before a line matching %s", re)
			}
			if re.MatchString(l) {
				return
			}
		case <-deadline:
			t.Fatalf("no watch line matching %s", re)
		}
	}
}
