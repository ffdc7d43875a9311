package main

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"

	"github.com/skiffrt/skiff/controlplane/apiserver/auth"
	"github.com/skiffrt/skiff/controlplane/controller"
	"github.com/skiffrt/skiff/controlplane/controller/cronjob"
	"github.com/skiffrt/skiff/controlplane/controller/daemonset"
	"github.com/skiffrt/skiff/controlplane/controller/deployment"
	"github.com/skiffrt/skiff/controlplane/controller/endpoints"
	"github.com/skiffrt/skiff/controlplane/controller/endpointslice"
	"github.com/skiffrt/skiff/controlplane/controller/garbagecollector"
	"github.com/skiffrt/skiff/controlplane/controller/job"
	"github.com/skiffrt/skiff/controlplane/controller/namespace"
	"github.com/skiffrt/skiff/controlplane/controller/nodeipam"
	"github.com/skiffrt/skiff/controlplane/controller/nodelifecycle"
	"github.com/skiffrt/skiff/controlplane/controller/replicaset"
	"github.com/skiffrt/skiff/controlplane/controller/statefulset"
	"github.com/skiffrt/skiff/controlplane/controller/volumebinder"
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

// controllerFlags configure the controllers.
type controllerFlags struct {
	allocateNodeCIDRs bool
	ipam              nodeipam.Config
	lifecycle         nodelifecycle.Config
}

func (c *controllerFlags) register(fs *flag.FlagSet) {
	c.ipam.ClusterCIDRs = []netip.Prefix{nodeipam.DefaultClusterCIDR}
	fs.BoolVar(&c.allocateNodeCIDRs, "allocate-node-cidrs", true, "give every node a pod CIDR (spec.podCIDR) out of --cluster-cidr")
	fs.Func("cluster-cidr", "CIDR of the pods, cut into the nodes' pod CIDRs; an IPv4 and an IPv6 CIDR, comma-separated, for dual stack (default 10.244.0.0/16)", func(s string) error {
		c.ipam.ClusterCIDRs = nil
		for _, f := range strings.Split(s, ",") {
			p, err := netip.ParsePrefix(strings.TrimSpace(f))
			if err != nil {
				return err
			}
			c.ipam.ClusterCIDRs = append(c.ipam.ClusterCIDRs, p.Masked())
		}
		return nil
	})
	fs.DurationVar(&c.lifecycle.GracePeriod, "node-monitor-grace-period", nodelifecycle.DefaultGracePeriod,
		"how long a node may go without renewing its Lease before it is marked unreachable and tainted")
	fs.IntVar(&c.ipam.NodeMaskIPv4, "node-cidr-mask-size-ipv4", nodeipam.DefaultNodeMaskIPv4, "prefix length of a node's IPv4 pod CIDR")
	fs.IntVar(&c.ipam.NodeMaskIPv6, "node-cidr-mask-size-ipv6", nodeipam.DefaultNodeMaskIPv6, "prefix length of a node's IPv6 pod CIDR")
}

// check validates the flags before anything starts.
func (c *controllerFlags) check() error {
	if !c.allocateNodeCIDRs {
		return nil
	}
	if err := c.ipam.Validate(); err != nil {
		return fmt.Errorf("--cluster-cidr: %w", err)
	}
	return nil
}

// startControllers runs the controllers until ctx ends, while this server
// holds the kube-system/kube-controller-manager Lease, as clients of the
// API at url with a certificate of their own; stop waits for them.
func startControllers(ctx context.Context, ca *pki.CA, pkiDir, url, identity string, flags controllerFlags) (stop func(), err error) {
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
			if err := runControllers(ctx, client, md, flags); err != nil {
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
func runControllers(ctx context.Context, client kubernetes.Interface, md metadata.Interface, flags controllerFlags) error {
	deps := controller.NewDeps(client, md)
	replicaSets, err := replicaset.New(deps)
	if err != nil {
		return err
	}
	deployments, err := deployment.New(deps)
	if err != nil {
		return err
	}
	statefulSets, err := statefulset.New(deps)
	if err != nil {
		return err
	}
	daemonSets, err := daemonset.New(deps)
	if err != nil {
		return err
	}
	jobs, err := job.New(deps, job.Options{})
	if err != nil {
		return err
	}
	cronJobs, err := cronjob.New(deps)
	if err != nil {
		return err
	}
	binder, err := volumebinder.New(deps)
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
	endpointSlices, err := endpointslice.New(deps)
	if err != nil {
		return err
	}
	endpointsCtl, err := endpoints.New(deps)
	if err != nil {
		return err
	}
	starts := []controller.Start{
		{Controller: replicaSets, Workers: 5},
		{Controller: deployments, Workers: 5},
		{Controller: statefulSets, Workers: 5},
		{Controller: daemonSets, Workers: 2},
		{Controller: jobs, Workers: 5},
		{Controller: cronJobs, Workers: 2},
		{Controller: binder, Workers: 2},
		{Controller: collector, Workers: 5},
		{Controller: namespaces, Workers: 2},
		{Controller: endpointSlices, Workers: 5},
		{Controller: endpointsCtl, Workers: 5},
	}
	lifecycle, err := nodelifecycle.New(deps, flags.lifecycle)
	if err != nil {
		return err
	}
	starts = append(starts, controller.Start{Controller: lifecycle, Workers: 2})
	if flags.allocateNodeCIDRs {
		ipam, err := nodeipam.New(deps, flags.ipam)
		if err != nil {
			return err
		}
		starts = append(starts, controller.Start{Controller: ipam, Workers: 2})
	}
	deps.Run(ctx, starts...)
	return nil
}
