//go:build e2e

package controlplane

import (
	"crypto/tls"
	"net/http"
	"strings"
	"testing"
)

// TestBadInput: every kind of bad request gets its 4xx Status, and
// nothing of it is stored.
func TestBadInput(t *testing.T) {
	s := startServer(t, "")
	const cms = "/api/v1/namespaces/default/configmaps"
	deep := strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000)
	deepYAML := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: " + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "\n"
	big := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"x":"` + strings.Repeat("x", 3<<20) + `"}}`
	tests := []struct {
		name, method, path, ctype, body string
		code                            int
		msg                             string
	}{
		{"malformed json", "POST", cms, "application/json", `{"apiVersion":"v1",`, 400, "cannot be handled"},
		{"malformed yaml", "POST", cms, "application/yaml", "a: [", 400, "YAML"},
		{"wrong kind", "POST", cms, "application/json", `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}}`, 400, "kind"},
		{"wrong version", "POST", cms, "application/json", `{"apiVersion":"apps/v1","kind":"ConfigMap","metadata":{"name":"x"}}`, 400, "apps/v1"},
		{"unknown field strict", "POST", cms + "?fieldValidation=Strict", "application/json",
			`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"bogus":1}`, 400, `unknown field \"bogus\"`},
		{"duplicate field strict", "POST", cms + "?fieldValidation=Strict", "application/json",
			`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{},"data":{}}`, 400, `duplicate field \"data\"`},
		{"invalid name", "POST", cms, "application/json", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Not_Valid"}}`, 422, "metadata.name"},
		{"no name", "POST", cms, "application/json", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{}}`, 422, "name or generateName is required"},
		{"namespace mismatch", "POST", cms, "application/json", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","namespace":"other"}}`, 400, "does not match"},
		{"missing namespace", "POST", "/api/v1/namespaces/nope/configmaps", "application/json", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}`, 404, `namespaces \"nope\" not found`},
		{"deep nesting", "POST", cms, "application/json", deep, 400, ""},
		{"too large", "POST", cms, "application/json", big, 413, "limit is"},
		{"bad protobuf body", "POST", cms, "application/vnd.kubernetes.protobuf", "x", 400, "protobuf"},
		{"xml body", "POST", cms, "application/xml", "<x/>", 415, ""},
		{"bad patch type", "PATCH", cms + "/x", "text/plain", "{}", 415, ""},
		{"bad label selector", "GET", cms + "?labelSelector=a%3D%3D%3Db", "", "", 400, ""},
		{"unsupported field selector", "GET", cms + "?fieldSelector=spec.bogus%3Dx", "", "", 400, "field label not supported"},
		{"unknown resource", "GET", "/api/v1/widgets", "", "", 404, ""},
		{"unknown subresource", "GET", cms + "/x/widgets", "", "", 404, ""},
		{"post to a name", "POST", cms + "/x", "application/json", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}`, 405, ""},
		{"deep yaml", "POST", cms, "application/yaml", deepYAML, 400, "depth"},
		{"bad merge patch", "PATCH", "/api/v1/namespaces/default", "application/merge-patch+json", "{bad", 400, ""},
		{"bad json patch", "PATCH", "/api/v1/namespaces/default", "application/json-patch+json", `{"op":"add"}`, 400, ""},
		{"apply of another kind", "PATCH", "/api/v1/namespaces/default?fieldManager=t", "application/apply-patch+yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: default}\n", 400, "apply configuration"},
		{"apply without manager", "PATCH", "/api/v1/namespaces/default", "application/apply-patch+yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: default}\n", 400, "fieldManager"},
		{"update of a missing object", "PUT", cms + "/missing", "application/json", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"missing"}}`, 404, ""},
		{"update naming another object", "PUT", "/api/v1/namespaces/default", "application/json", `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"other"}}`, 400, "does not match the name"},
		{"invalid deployment", "POST", "/apis/apps/v1/namespaces/default/deployments", "application/json",
			`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":-1,"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"c"}},"spec":{"containers":[{"name":"c"}]}}}}`,
			422, "spec.replicas"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := s.raw(tc.method, tc.path, tc.ctype, []byte(tc.body))
			if code != tc.code || !strings.Contains(body, tc.msg) || !strings.Contains(body, `"kind":"Status"`) {
				t.Fatalf("got %d %.400s; want %d with %q", code, body, tc.code, tc.msg)
			}
		})
	}
	if out := s.k("get", "cm,deploy", "-o", "name"); out != "" {
		t.Fatalf("bad requests left objects: %s", out)
	}
}

// TestConflict: an update with a stale resourceVersion is a 409.
func TestConflict(t *testing.T) {
	s := startServer(t, "")
	s.k("create", "configmap", "c", "--from-literal=a=1")
	rv := s.k("get", "cm", "c", "-o", "jsonpath={.metadata.resourceVersion}")
	s.k("patch", "cm", "c", "-p", `{"data":{"a":"2"}}`)
	body := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","resourceVersion":"` + rv + `"},"data":{"a":"3"}}`
	code, resp := s.raw("PUT", "/api/v1/namespaces/default/configmaps/c", "application/json", []byte(body))
	if code != 409 || !strings.Contains(resp, "the object has been modified") {
		t.Fatalf("stale update: %d %s", code, resp)
	}
	if out := s.k("get", "cm", "c", "-o", "jsonpath={.data.a}"); out != "2" {
		t.Fatalf("data.a = %q", out)
	}
}

// TestAuthentication: no credential is a 401, except on health paths.
func TestAuthentication(t *testing.T) {
	s := startServer(t, "")
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	host := s.restConfig().Host
	for path, want := range map[string]int{"/api/v1/namespaces": 401, "/apis": 401, "/healthz": 200, "/readyz": 200, "/livez": 200} {
		resp, err := hc.Get(host + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("anonymous GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	req, _ := http.NewRequest("GET", host+"/api/v1/namespaces", nil)
	req.Header.Set("Authorization", "Bearer wrong")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("bad token: %d", resp.StatusCode)
	}
}

// TestRestartKeepsObjects: objects survive a restart on the same state.
func TestRestartKeepsObjects(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	s.k("create", "namespace", "keep")
	s.k("create", "configmap", "c", "-n", "keep", "--from-literal=a=1")
	uid := s.k("get", "cm", "c", "-n", "keep", "-o", "jsonpath={.metadata.uid}")
	s.stop()

	s = startServer(t, dir)
	if got := s.k("get", "cm", "c", "-n", "keep", "-o", "jsonpath={.metadata.uid}"); got != uid {
		t.Fatalf("uid after restart %q, want %q", got, uid)
	}
	expectLine(t, s.k("get", "ns"), "keep", "Active")
}
