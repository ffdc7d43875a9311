//go:build e2e

package controlplane

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skiffrt/skiff/controlplane/pki"
)

// TestAuthorization: the admin may do everything; another user of the
// cluster CA is authenticated but may do nothing beyond asking what it
// may do (kubectl auth can-i, whoami).
func TestAuthorization(t *testing.T) {
	s := startServer(t, "")
	if out := s.k("auth", "can-i", "delete", "nodes"); out != "yes\n" {
		t.Fatalf("admin can-i: %q", out)
	}
	expectLine(t, s.k("auth", "whoami"), "Groups", "[system:masters]")

	ca, err := pki.LoadOrCreateCA(filepath.Join(s.dir, "state", "pki"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, err := ca.Client(dir, "alice", "alice", []string{"devs"})
	if err != nil {
		t.Fatal(err)
	}
	alice := filepath.Join(dir, "alice.kubeconfig")
	if err := pki.WriteKubeconfig(alice, s.restConfig().Host, ca, cert); err != nil {
		t.Fatal(err)
	}
	as := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return s.kubectl(ctx, nil, append([]string{"--kubeconfig", alice}, args...)...)
	}
	out, err := as("auth", "whoami")
	if err != nil || !strings.Contains(out, "alice") {
		t.Fatalf("whoami as alice: %q %v", out, err)
	}
	if out, _ := as("auth", "can-i", "create", "pods"); out != "no\n" {
		t.Fatalf("alice can-i: %q", out)
	}
	_, err = as("get", "pods")
	if err == nil || !strings.Contains(err.Error(), `User "alice" cannot list resource "pods"`) {
		t.Fatalf("alice lists pods: %v", err)
	}
}
