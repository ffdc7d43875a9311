//go:build e2e

package controlplane

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

const appsManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: merge
spec:
  selector:
    matchLabels: {app: merge}
  template:
    metadata:
      labels: {app: merge}
    spec:
      containers:
      - name: web
        image: nginx:1
`

// TestOpenAPI drives the OpenAPI documents with the real kubectl: the
// documents by --raw, explain from v3 and from v2 (which kubectl reads as
// protobuf), and a client-side apply whose strategic merge patch kubectl
// builds from the v3 schema of Deployment.
func TestOpenAPI(t *testing.T) {
	s := startServer(t, "")
	// A cache of its own, so that kubectl fetches the documents here.
	cache := "--cache-dir=" + t.TempDir()

	t.Run("documents", func(t *testing.T) {
		var index struct {
			Paths map[string]struct{ ServerRelativeURL string }
		}
		if err := json.Unmarshal([]byte(s.k("get", "--raw", "/openapi/v3")), &index); err != nil {
			t.Fatal(err)
		}
		apps := index.Paths["apis/apps/v1"].ServerRelativeURL
		if index.Paths["api/v1"].ServerRelativeURL == "" || !strings.Contains(apps, "?hash=") {
			t.Fatalf("index: %+v", index)
		}
		doc := s.k("get", "--raw", apps)
		for _, want := range []string{
			`"io.k8s.api.apps.v1.Deployment":{`,
			`"x-kubernetes-group-version-kind":[{"group":"apps","kind":"Deployment","version":"v1"}]`,
			`"x-kubernetes-patch-merge-key":"name"`,
			`"name":"fieldValidation"`,
		} {
			if !strings.Contains(doc, want) {
				t.Errorf("apps/v1 document lacks %s", want)
			}
		}
		if v2 := s.k("get", "--raw", "/openapi/v2"); !strings.Contains(v2, `"swagger":"2.0"`) {
			t.Errorf("/openapi/v2: %.200s", v2)
		}
	})

	t.Run("explain", func(t *testing.T) {
		out := s.k("explain", cache, "deployment.spec.strategy")
		for _, want := range []string{"KIND:       Deployment", "FIELD: strategy <DeploymentStrategy>", "rollingUpdate\t<RollingUpdateDeployment>"} {
			if !strings.Contains(out, want) {
				t.Errorf("explain lacks %q:\n%s", want, out)
			}
		}
		out = s.k("explain", cache, "deployment.spec.strategy", "--output", "plaintext-openapiv2")
		if !strings.Contains(out, "RESOURCE: strategy <Object>") || !strings.Contains(out, "rollingUpdate\t<Object>") {
			t.Errorf("explain from v2:\n%s", out)
		}
		if out := s.k("explain", cache, "pods.spec.containers"); !strings.Contains(out, "name\t<string> -required-") {
			t.Errorf("explain of a required field:\n%s", out)
		}
	})

	t.Run("client-side apply merges containers by name", func(t *testing.T) {
		containers := func() string {
			return s.k("get", "deploy", "merge", "-o", `jsonpath={range .spec.template.spec.containers[*]}{.name}={.image} {end}`)
		}
		s.k("apply", cache, "-f", s.writeFile("v1.yaml", appsManifest))
		// Someone else adds a container: applies must keep it.
		s.k("patch", "deploy", "merge", "-p", `{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"envoy"}]}}}}`)
		changed := strings.Replace(appsManifest, "nginx:1", "nginx:2", 1)
		s.applyFromV3(t, cache, changed+"      - name: log\n        image: busybox\n")
		if got, want := containers(), "sidecar=envoy web=nginx:2 log=busybox "; got != want {
			t.Errorf("containers %q, want %q", got, want)
		}
		// A container the last apply had and this one has not is deleted:
		// only the merge key in the schema tells kubectl to say so.
		s.applyFromV3(t, cache, changed)
		if got, want := containers(), "sidecar=envoy web=nginx:2 "; got != want {
			t.Errorf("containers %q, want %q", got, want)
		}
	})
}

// applyFromV3 applies manifest and checks that kubectl built its patch
// from the v3 document of apps/v1.
func (s *server) applyFromV3(t *testing.T, cache, manifest string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, log, err := s.kubectlLog(ctx, nil, "apply", cache, "-v=6", "-f", s.writeFile("deploy.yaml", manifest))
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, log)
	}
	if !strings.Contains(log, "/openapi/v3/apis/apps/v1?hash=") || strings.Contains(log, "error calculating patch") {
		t.Errorf("apply did not build its patch from /openapi/v3:\n%s", log)
	}
}
