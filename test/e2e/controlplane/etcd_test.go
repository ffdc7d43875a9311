//go:build e2e

package controlplane

import (
	"context"
	"testing"
	"time"

	"github.com/skiffrt/skiff/controlplane/etcd"
)

// TestExternalEtcd: two API servers on one external etcd serve the same
// objects, and a watch on one sees a write through the other.
func TestExternalEtcd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, err := etcd.Start(ctx, etcd.Config{Dir: t.TempDir(), ClientAddr: "127.0.0.1:0", PeerAddr: "127.0.0.1:0", LogLevel: "error"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close) // after the servers, which stop first

	a := startServer(t, "", "--etcd-servers", e.Endpoint())
	b := startServer(t, "", "--etcd-servers", e.Endpoint())
	a.k("create", "configmap", "first")
	lines := b.watch(t, "get", "configmaps", "-w")
	a.k("create", "configmap", "shared", "--from-literal=a=1")
	waitLine(t, lines, columns("shared", "1"))
	if out := b.k("get", "configmap", "shared", "-o", "jsonpath={.data.a}"); out != "1" {
		t.Fatalf("through the other server: %q", out)
	}
	expectLine(t, b.k("get", "ns"), "kube-system", "Active")
}
