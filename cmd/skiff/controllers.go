package main

import (
	"context"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"

	"github.com/skiffrt/skiff/controlplane/apiserver/auth"
	"github.com/skiffrt/skiff/controlplane/controller"
	"github.com/skiffrt/skiff/controlplane/controller/deployment"
	"github.com/skiffrt/skiff/controlplane/controller/garbagecollector"
	"github.com/skiffrt/skiff/controlplane/controller/namespace"
	"github.com/skiffrt/skiff/controlplane/controller/replicaset"
	"github.com/skiffrt/skiff/controlplane/leader"
	"github.com/skiffrt/skiff/controlplane/pki"
	"github.com/skiffrt/skiff/internal/log"
)

// controllersLease is the Lease whose holder runs the controllers. Its
// times are shorter than upstream's (15s, 10s, 2s), so that when the
// holder dies without releasing it another server takes over within
// 8 s + two retry periods.
var controllersLease = leader.Config{
	Namespace: "kube-system", Name: "kube-controller-manager",
	LeaseDuration: 8 * time.Second, RenewDeadline: 6 * time.Second, RetryPeriod: time.Second,
}

// startControllers runs the controllers until ctx ends, while this server
// holds the kube-system/kube-controller-manager Lease, as clients of the
// API at url with a certificate of their own; stop waits for them.
func startControllers(ctx context.Context, ca *pki.CA, pkiDir, url, identity string) (stop func(), err error) {
	cfg, err := clientConfig(ca, pkiDir, url, "controller-manager", auth.ControllerManagerUser)
	if err != nil {
		return nil, err
	}
	// Pods, events and status writes come in bursts (a scale-up, a
	// rollout): more than client-go's default 5 per second.
	cfg.QPS, cfg.Burst = 50, 100
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	md, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(log.WithAttrs(ctx, "component", "controllers"))
	var wg sync.WaitGroup
	wg.Go(func() {
		lease := controllersLease
		lease.Client, lease.Identity = client, identity
		err := leader.Run(ctx, lease, func(ctx context.Context) {
			if err := runControllers(ctx, client, md); err != nil {
				log.G(ctx).Error("controllers", log.KeyError, err)
			}
		})
		if err != nil {
			log.G(ctx).Error("controllers leader election", log.KeyError, err)
		}
	})
	return func() {
		cancel()
		wg.Wait()
	}, nil
}

// runControllers builds the controllers over one set of shared informers
// and runs them until ctx ends.
func runControllers(ctx context.Context, client kubernetes.Interface, md metadata.Interface) error {
	deps := controller.NewDeps(client, md)
	replicaSets, err := replicaset.New(deps)
	if err != nil {
		return err
	}
	deployments, err := deployment.New(deps)
	if err != nil {
		return err
	}
	collector, err := garbagecollector.New(deps)
	if err != nil {
		return err
	}
	namespaces, err := namespace.New(deps)
	if err != nil {
		return err
	}
	deps.Run(ctx,
		controller.Start{Controller: replicaSets, Workers: 5},
		controller.Start{Controller: deployments, Workers: 5},
		controller.Start{Controller: collector, Workers: 5},
		controller.Start{Controller: namespaces, Workers: 2},
	)
	return nil
}
