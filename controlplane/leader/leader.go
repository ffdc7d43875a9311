package leader

import (
	"context"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"

	"github.com/skiffrt/skiff/internal/log"
)

// Config names the Lease and the candidate.
type Config struct {
	Client kubernetes.Interface
	// Namespace and Name of the Lease, e.g. kube-system/kube-scheduler.
	Namespace, Name string
	// Identity tells this candidate from the others (host and address).
	Identity string
	// LeaseDuration, RenewDeadline and RetryPeriod are upstream's
	// (15s, 10s, 2s) when zero.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
}

func (c *Config) defaults() {
	if c.LeaseDuration == 0 {
		c.LeaseDuration, c.RenewDeadline, c.RetryPeriod = 15*time.Second, 10*time.Second, 2*time.Second
	}
}

// Run calls run while this candidate holds the Lease, and again each time
// it wins it back, until ctx ends. run's context ends when the Lease is
// lost; run must then return. Run returns once run has returned; the
// Lease is released on the way out, so that another server takes over at
// once.
func Run(ctx context.Context, cfg Config, run func(context.Context)) error {
	cfg.defaults()
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: cfg.Namespace, Name: cfg.Name},
		Client:     cfg.Client.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: cfg.Identity},
	}
	ctx = log.WithAttrs(ctx, "lease", cfg.Namespace+"/"+cfg.Name)
	for ctx.Err() == nil {
		var term term
		le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock:          lock,
			LeaseDuration: cfg.LeaseDuration, RenewDeadline: cfg.RenewDeadline, RetryPeriod: cfg.RetryPeriod,
			ReleaseOnCancel: true,
			Name:            cfg.Name,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(ctx context.Context) {
					log.G(ctx).Info("leading")
					term.run(ctx, run)
				},
				OnStoppedLeading: func() {},
			},
		})
		if err != nil {
			return err
		}
		le.Run(ctx)
		term.end()
	}
	return nil
}

// term is one spell of leadership. The elector starts run in a goroutine
// of its own and does not wait for it: end waits, or keeps run from
// starting after the elector is done.
type term struct {
	mu    sync.Mutex
	ended bool // guarded by mu
	wg    sync.WaitGroup
}

func (t *term) run(ctx context.Context, run func(context.Context)) {
	t.mu.Lock()
	if t.ended {
		t.mu.Unlock()
		return
	}
	t.wg.Add(1)
	t.mu.Unlock()
	defer t.wg.Done()
	run(ctx)
}

func (t *term) end() {
	t.mu.Lock()
	t.ended = true
	t.mu.Unlock()
	t.wg.Wait()
}
