package leader

import (
	"context"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// TestOneLeaderAtATime: of two candidates, one runs; when it stops, it
// releases the Lease and the other takes over.
func TestOneLeaderAtATime(t *testing.T) {
	client := fake.NewClientset()
	var mu sync.Mutex
	running := map[string]bool{}
	started := make(chan string, 4)
	candidate := func(ctx context.Context, id string) chan error {
		errc := make(chan error, 1)
		cfg := Config{Client: client, Namespace: "kube-system", Name: "test", Identity: id,
			LeaseDuration: 2 * time.Second, RenewDeadline: time.Second, RetryPeriod: 100 * time.Millisecond}
		go func() {
			errc <- Run(ctx, cfg, func(ctx context.Context) {
				mu.Lock()
				running[id] = true
				for other, on := range running {
					if on && other != id {
						t.Errorf("%s runs while %s does", id, other)
					}
				}
				mu.Unlock()
				started <- id
				<-ctx.Done()
				mu.Lock()
				running[id] = false
				mu.Unlock()
			})
		}()
		return errc
	}
	ctxA, cancelA := context.WithCancel(t.Context())
	defer cancelA()
	errA := candidate(ctxA, "a")
	if id := <-started; id != "a" {
		t.Fatalf("%s leads first", id)
	}
	ctxB, cancelB := context.WithCancel(t.Context())
	defer cancelB()
	errB := candidate(ctxB, "b")
	select {
	case id := <-started:
		t.Fatalf("%s started while a leads", id)
	case <-time.After(500 * time.Millisecond):
	}
	lease, err := client.CoordinationV1().Leases("kube-system").Get(t.Context(), "test", metav1.GetOptions{})
	if err != nil || *lease.Spec.HolderIdentity != "a" {
		t.Fatalf("lease %v, %v", lease, err)
	}

	cancelA()
	if err := <-errA; err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-started:
		if id != "b" {
			t.Fatalf("%s took over", id)
		}
	case <-time.After(time.Second):
		t.Fatal("b did not take over within a second of a's release")
	}
	cancelB()
	if err := <-errB; err != nil {
		t.Fatal(err)
	}
}
