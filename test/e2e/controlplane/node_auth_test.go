//go:build e2e

package controlplane

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skiffrt/skiff/controlplane/apiserver/nodecert"
	"github.com/skiffrt/skiff/controlplane/pki"
)

// createToken runs `skiff server token create` against s.
func (s *server) createToken(args ...string) string {
	s.t.Helper()
	cmd := exec.Command(filepath.Join(s.bin, "skiff"), append([]string{"server", "token", "create", "--kubeconfig", s.kubeconfig}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		s.t.Fatalf("token create: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// httpsClient trusts the server's CA and presents no certificate.
func (s *server) httpsClient() *http.Client {
	s.t.Helper()
	ca, err := os.ReadFile(filepath.Join(s.dir, "state", "pki", "ca.crt"))
	if err != nil {
		s.t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

// joinNode buys node's certificate with token, as `skiff agent --token`
// does, and returns a kubeconfig of it.
func (s *server) joinNode(token, node string) (string, error) {
	cred, err := nodecert.Fetch(context.Background(), s.httpsClient(), s.restConfig().Host, token, node)
	if err != nil {
		return "", err
	}
	path := filepath.Join(s.t.TempDir(), node+".kubeconfig")
	return path, pki.WriteKubeconfigPEM(path, s.restConfig().Host, "system:node:"+node, cred.CA, cred.Cert, cred.Key)
}

// as runs kubectl with another kubeconfig.
func (s *server) as(kubeconfig string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return s.kubectl(ctx, nil, append([]string{"--kubeconfig", kubeconfig}, args...)...)
}

// TestNodeCredential: a bootstrap token buys a node certificate, and the
// node may do what a kubelet may: its own Node and status, secrets only
// of its pods, nothing else.
func TestNodeCredential(t *testing.T) {
	s := startServer(t, "")
	token := s.createToken("--ttl", "1h", "--description", "e2e")
	if _, err := s.joinNode(token[:7]+"0123456789abcdef", "n1"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("a wrong token got a certificate: %v", err)
	}
	n1, err := s.joinNode(token, "n1")
	if err != nil {
		t.Fatal(err)
	}
	node := func(args ...string) string {
		t.Helper()
		out, err := s.as(n1, args...)
		if err != nil {
			t.Fatalf("as n1: kubectl %s: %v", strings.Join(args, " "), err)
		}
		return out
	}
	// canI is kubectl auth can-i's answer, without the reason that may
	// follow a no.
	canI := func(args ...string) string {
		out, _ := s.as(n1, append([]string{"auth", "can-i"}, args...)...)
		answer, _, _ := strings.Cut(strings.TrimSpace(out), " ")
		return answer
	}
	expectLine(t, node("auth", "whoami"), "Username", "system:node:n1")

	node("create", "-f", s.writeFile("n1.yaml", "apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n"))
	s.k("create", "-f", s.writeFile("n2.yaml", "apiVersion: v1\nkind: Node\nmetadata:\n  name: n2\n"))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"patch", "nodes/n1", "--subresource=status"}, "yes"},
		{[]string{"patch", "nodes/n2", "--subresource=status"}, "no"},
		{[]string{"update", "nodes/n2"}, "no"},
		{[]string{"list", "nodes"}, "yes"},
		{[]string{"list", "pods", "-A"}, "yes"},
		{[]string{"create", "events"}, "yes"},
		{[]string{"list", "services"}, "yes"},
		{[]string{"list", "endpointslices.discovery.k8s.io"}, "yes"},
		{[]string{"update", "leases/n1", "-n", "kube-node-lease"}, "yes"},
		{[]string{"update", "leases/n2", "-n", "kube-node-lease"}, "no"},
		{[]string{"get", "secrets/s1"}, "no"},
		{[]string{"list", "secrets"}, "no"},
		{[]string{"create", "deployments.apps"}, "no"},
		{[]string{"delete", "nodes/n1"}, "no"},
	} {
		if got := canI(c.args...); got != c.want {
			t.Errorf("can-i %s: %q, want %q", strings.Join(c.args, " "), got, c.want)
		}
	}
	node("label", "node/n1", "skiff.example/ok=1")
	msg := s.kFailAs(n1, "label", "node/n1", "node-role.kubernetes.io/control-plane=")
	if !strings.Contains(msg, "is not allowed to modify labels") {
		t.Errorf("restricted label: %s", msg)
	}
	if msg := s.kFailAs(n1, "create", "-f", s.writeFile("n3.yaml", "apiVersion: v1\nkind: Node\nmetadata:\n  name: n3\n")); !strings.Contains(msg, `node "n1" is not allowed to modify node "n3"`) {
		t.Errorf("register n3: %s", msg)
	}

	// A secret becomes readable once a pod bound to the node uses it.
	s.k("create", "secret", "generic", "s1", "--from-literal=k=v")
	s.k("create", "secret", "generic", "s2", "--from-literal=k=v")
	if msg := s.kFailAs(n1, "get", "secret", "s1"); !strings.Contains(msg, `User "system:node:n1" cannot get resource "secrets"`) ||
		!strings.Contains(msg, "no relationship found between node") {
		t.Errorf("get s1 before its pod: %s", msg)
	}
	s.k("create", "-f", s.writeFile("pod.yaml", `apiVersion: v1
kind: Pod
metadata:
  name: p1
spec:
  nodeName: n1
  containers:
  - name: c
    image: busybox
    env:
    - name: X
      valueFrom:
        secretKeyRef: {name: s1, key: k}
`))
	s.k("create", "-f", s.writeFile("pod2.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p2\nspec:\n  nodeName: n2\n  containers:\n  - name: c\n    image: busybox\n"))
	if ok, _ := poll(10*time.Second, 100*time.Millisecond, func() (bool, string) { return canI("get", "secrets/s1") == "yes", "" }); !ok {
		t.Fatal("can-i get secrets/s1: not yes once p1 references it")
	}
	expectLine(t, node("get", "secret", "s1"), "s1", "Opaque")
	s.kFailAs(n1, "get", "secret", "s2")
	s.kFailAs(n1, "get", "secrets")

	// Its own pods' status, not another node's; no pods but mirror pods.
	node("patch", "pod", "p1", "--subresource=status", "--type=merge", "-p", `{"status":{"message":"from n1"}}`)
	if msg := s.kFailAs(n1, "patch", "pod", "p2", "--subresource=status", "--type=merge", "-p", `{"status":{"message":"from n1"}}`); !strings.Contains(msg, "can only update pod status for pods with spec.nodeName set to itself") {
		t.Errorf("status of p2: %s", msg)
	}
	if msg := s.kFailAs(n1, "run", "x", "--image=busybox", "--overrides", `{"spec":{"nodeName":"n1"}}`); !strings.Contains(msg, "can only create mirror pods") {
		t.Errorf("run as node: %s", msg)
	}
	if msg := s.kFailAs(n1, "delete", "pod", "p2", "--wait=false"); !strings.Contains(msg, "can only delete pods with spec.nodeName set to itself") {
		t.Errorf("delete p2: %s", msg)
	}

	// Revoking the token refuses new certificates.
	s.k("delete", "secret", "-n", "kube-system", "bootstrap-token-"+token[:6])
	if _, err := s.joinNode(token, "n9"); err == nil {
		t.Error("a revoked token got a certificate")
	}
}

// kFailAs runs kubectl with kubeconfig, expects it to fail, and returns
// its stderr.
func (s *server) kFailAs(kubeconfig string, args ...string) string {
	s.t.Helper()
	out, err := s.as(kubeconfig, args...)
	if err == nil {
		s.t.Fatalf("kubectl %s succeeded:\n%s", strings.Join(args, " "), out)
	}
	return err.(*kubectlError).stderr
}

// TestUnauthenticated: no credential, or a bad one, is 401 with a
// Status; only health and version are public.
func TestUnauthenticated(t *testing.T) {
	s := startServer(t, "")
	c := s.httpsClient()
	for _, tc := range []struct {
		path, token string
		code        int
	}{
		{"/api/v1/namespaces", "", 401},
		{"/api", "", 401},
		{"/metrics", "", 401},
		{"/api/v1/namespaces", "abcdef.0123456789abcdef", 401},
		{"/api/v1/namespaces", "not-a-token", 401},
		{"/healthz", "", 200},
		{"/version", "", 200},
	} {
		req, _ := http.NewRequest("GET", s.restConfig().Host+tc.path, nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("%s: %d, want %d: %s", tc.path, resp.StatusCode, tc.code, body)
			continue
		}
		if tc.code == 401 {
			var st struct{ Kind, Reason string }
			if json.Unmarshal(body, &st) != nil || st.Kind != "Status" || st.Reason != "Unauthorized" {
				t.Errorf("%s: body %s", tc.path, body)
			}
		}
	}
}
