package proxy

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/knftables"
)

// TestRunFollowsTheAPI runs the proxy over a fake clientset: a service and
// its slice created through the API end up in the table, and deleting the
// service takes it out again.
func TestRunFollowsTheAPI(t *testing.T) {
	client := fake.NewClientset()
	nft := knftables.NewFake(knftables.InetFamily, TableName)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, client, nft, &fakeConntrack{}, Config{NodeName: "n1"}) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	svc := service("web", "10.96.0.5", corev1.ProtocolTCP, 80)
	if _, err := client.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	sl := slice("web", corev1.ProtocolTCP, 8080, ep{ip: "10.244.1.2"})
	if _, err := client.DiscoveryV1().EndpointSlices("default").Create(ctx, sl, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, nft, "service in the table", func(tbl *knftables.FakeTable) bool {
		return tbl.Chains["ep-default/web/tcp/p__10.244.1.2/8080"] != nil
	})
	if err := client.CoreV1().Services("default").Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, nft, "service gone from the table", func(tbl *knftables.FakeTable) bool {
		return tbl.Chains["svc-default/web/tcp/p"] == nil && tbl.Chains[chainServices] != nil
	})
}

func waitFor(t *testing.T, nft *knftables.Fake, what string, ok func(*knftables.FakeTable) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		nft.RLock()
		good := nft.Table != nil && ok(nft.Table)
		nft.RUnlock()
		if good {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s:\n%s", what, nft.Dump())
}
