package main

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/knftables"

	"github.com/skiffrt/skiff/controlplane/controller/nodeipam"
	"github.com/skiffrt/skiff/controlplane/proxy"
	"github.com/skiffrt/skiff/internal/log"
)

// proxyFlags configure the service proxy that runs beside every agent.
type proxyFlags struct {
	enabled bool
	cfg     proxy.Config
}

// register adds --proxy and --node-port-addresses; `skiff agent` adds
// --cluster-cidr with registerClusterCIDR (the server has its own).
func (p *proxyFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&p.enabled, "proxy", true, "run the service proxy (nftables table "+proxy.TableName+"); its rules stay when skiff exits")
	fs.Func("node-port-addresses", "comma-separated CIDRs whose local addresses take NodePorts (default: every local address but loopback; a loopback CIDR enables route_localnet)", func(s string) error {
		ps, err := parsePrefixes(s)
		p.cfg.NodePortAddresses = ps
		return err
	})
}

func (p *proxyFlags) registerClusterCIDR(fs *flag.FlagSet) {
	p.cfg.ClusterCIDRs = []netip.Prefix{nodeipam.DefaultClusterCIDR}
	fs.Func("cluster-cidr", "the pods' CIDRs, one per family, comma-separated: traffic to services from outside them is masqueraded (default 10.244.0.0/16)", func(s string) error {
		ps, err := parsePrefixes(s)
		if err == nil {
			p.cfg.ClusterCIDRs = ps
		}
		return err
	})
}

func parsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// proxyTable returns the proxy's nftables, or an error that says what the
// host lacks and how to go without the proxy.
func proxyTable() (knftables.Interface, error) {
	nft, err := proxy.NewNFTables()
	if err != nil {
		return nil, fmt.Errorf("%w (or run with --proxy=false)", err)
	}
	return nft, nil
}

// cleanupProxy deletes the proxy's table (`skiff agent --cleanup-proxy`).
func cleanupProxy(ctx context.Context) error {
	nft, err := proxy.NewNFTables()
	if err != nil {
		return err
	}
	if err := proxy.Cleanup(ctx, nft); err != nil && !knftables.IsNotFound(err) {
		return err
	}
	return nil
}

// startProxy runs the service proxy for node until ctx ends (unless
// disabled), restarting it when it fails; stop waits for it. The table
// stays when it stops, so traffic keeps flowing.
func startProxy(ctx context.Context, p *proxyFlags, node string, restCfg *rest.Config, nft knftables.Interface) (stop func()) {
	if !p.enabled {
		return func() {}
	}
	cfg := p.cfg
	cfg.NodeName = node
	ctx, cancel := context.WithCancel(log.WithAttrs(ctx, "component", "proxy"))
	done := make(chan struct{})
	go func() {
		defer close(done)
		client, err := kubernetes.NewForConfig(restCfg)
		if err == nil {
			err = proxy.PrepareHost(ctx, cfg)
		}
		if err != nil {
			log.G(ctx).Error("service proxy not started", log.KeyError, err)
			return
		}
		log.G(ctx).Info("service proxy", "table", proxy.TableName, "cluster_cidrs", cfg.ClusterCIDRs, "node_port_addresses", cfg.NodePortAddresses)
		for {
			err := proxy.Run(ctx, client, nft, proxy.NetlinkConntrack{}, cfg)
			if ctx.Err() != nil {
				return
			}
			log.G(ctx).Error("service proxy stopped; starting again in 5s", log.KeyError, err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(5 * time.Second):
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
