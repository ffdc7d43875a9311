//go:build e2e

package controlplane

import (
	"context"
	"net/url"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/skiffrt/skiff/controlplane/etcd"
)

// TestControllersElection: of two `skiff server` processes on one etcd,
// exactly one runs the controllers (it holds the
// kube-system/kube-controller-manager Lease); when it is killed, the
// other takes over within 15 s and runs them.
func TestControllersElection(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e, err := etcd.Start(ctx, etcd.Config{Dir: t.TempDir(), ClientAddr: "127.0.0.1:0", PeerAddr: "127.0.0.1:0", LogLevel: "error"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	a := startServer(t, "", "--etcd-servers", e.Endpoint())
	b := startServer(t, "", "--etcd-servers", e.Endpoint())
	host, _ := os.Hostname()
	identity := func(s *server) string {
		u, err := url.Parse(s.restConfig().Host)
		if err != nil {
			t.Fatal(err)
		}
		return host + "_" + u.Host
	}
	holder := func(s *server) string {
		out, _ := s.kubectl(context.Background(), nil, "get", "lease", "-n", "kube-system", "kube-controller-manager", "-o", "jsonpath={.spec.holderIdentity}")
		return out
	}

	var leader, other *server
	ok, last := poll(20*time.Second, 200*time.Millisecond, func() (bool, string) {
		h := holder(b)
		switch h {
		case identity(a):
			leader, other = a, b
		case identity(b):
			leader, other = b, a
		}
		return leader != nil, h
	})
	if !ok {
		t.Fatalf("nobody holds the lease: %q (servers %s, %s)", last, identity(a), identity(b))
	}
	// The controllers run: a Deployment created through either server
	// gets its ReplicaSet.
	other.k("create", "deployment", "before", "--image=busybox:1.36")
	other.eventually(t, "1", "get", "rs", "-l", "app=before", "-o", "jsonpath={.items[0].spec.replicas}")
	// The other server keeps trying for the lease, without taking it.
	time.Sleep(3 * time.Second)
	if h := holder(other); h != identity(leader) {
		t.Fatalf("the lease moved to %q while its holder lives", h)
	}

	leader.cmd.Process.Kill()
	<-leader.done
	killed := time.Now()
	if ok, last := poll(15*time.Second, 100*time.Millisecond, func() (bool, string) {
		h := holder(other)
		return h == identity(other), h
	}); !ok {
		t.Fatalf("not taken over 15 s after the holder was killed: %q", last)
	}
	t.Logf("taken over %s after the kill", time.Since(killed).Round(100*time.Millisecond))
	other.k("create", "deployment", "after", "--image=busybox:1.36")
	other.eventually(t, "1", "get", "rs", "-l", "app=after", "-o", "jsonpath={.items[0].spec.replicas}")
	other.stop()
	if n := len(regexp.MustCompile(`msg=leading component=controllers`).FindAllString(other.stderr.String(), -1)); n != 1 {
		t.Fatalf("the survivor led %d times", n)
	}
	if n := len(regexp.MustCompile(`msg=leading component=controllers`).FindAllString(leader.stderr.String(), -1)); n != 1 {
		t.Fatalf("the first leader led %d times", n)
	}
}
