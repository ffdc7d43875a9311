package cni

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
	types100 "github.com/containernetworking/cni/pkg/types/100"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/log"
)

// rollbackTimeout bounds the DEL that undoes a failed ADD.
const rollbackTimeout = time.Minute

// Result is what Setup gave the pod.
type Result struct {
	// IPs are the pod's addresses, IPv4 first (the CRI primary IP).
	IPs []net.IP
	// Gateways are the gateways of those addresses, where IPAM named one.
	Gateways []net.IP
	// Interface is the pod's interface in its namespace.
	Interface string
}

// Setup adds the pod to the network in its namespace p.NetNS and returns
// its addresses. A failed ADD is undone with a DEL before Setup returns.
// It fails with errdefs.ErrFailedPrecondition (a *NotReadyError) when the
// network is not ready, errdefs.ErrAlreadyExists if the pod is already
// attached, and errdefs.ErrUnavailable when a plugin fails.
func (n *Network) Setup(ctx context.Context, p Pod) (*Result, error) {
	if err := p.validate(true); err != nil {
		return nil, err
	}
	defer n.pods.lock(p.ID)()

	nc, err := n.current(ctx)
	if err != nil {
		return nil, err
	}
	if atts, err := n.cni.GetCachedAttachments(p.ID); err == nil && len(atts) > 0 {
		return nil, fmt.Errorf("cni: pod %s is already attached to network %q: %w", p.ID, atts[0].Network, errdefs.ErrAlreadyExists)
	}
	list := nc.list
	rt := runtimeConf(p, p.NetNS, n.podCIDR())
	ctx = log.WithAttrs(ctx, log.KeySandboxID, p.ID)
	log.G(ctx).Debug("cni: add", "network", list.Name, "netns", p.NetNS)

	endSpan := log.Span(ctx, "cni.add")
	res, err := n.cni.AddNetworkList(ctx, list, rt)
	endSpan()
	if err != nil {
		err = fmt.Errorf("cni: network %q: add pod %s: %w: %w", list.Name, p.ID, errdefs.ErrUnavailable, err)
		return nil, errors.Join(err, n.rollback(ctx, list, rt))
	}
	out, err := parseResult(res)
	if err != nil {
		err = fmt.Errorf("cni: network %q: pod %s: %w", list.Name, p.ID, err)
		return nil, errors.Join(err, n.rollback(ctx, list, rt))
	}
	log.G(ctx).Info("cni: pod attached", "network", list.Name, "ips", out.IPs)
	return out, nil
}

// rollback undoes a failed ADD, also when ctx was cancelled.
func (n *Network) rollback(ctx context.Context, list *libcni.NetworkConfigList, rt *libcni.RuntimeConf) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	if err := n.cni.DelNetworkList(ctx, list, rt); err != nil {
		return fmt.Errorf("cni: network %q: undo add of pod %s: %w", list.Name, rt.ContainerID, err)
	}
	return nil
}

// parseResult picks the pod's addresses out of a CNI result: those on an
// interface inside the sandbox, or on no named interface.
func parseResult(res types.Result) (*Result, error) {
	r, err := types100.NewResultFromResult(res)
	if err != nil {
		return nil, fmt.Errorf("convert CNI result: %w: %w", errdefs.ErrInternal, err)
	}
	out := &Result{Interface: IfName}
	var v4, v6, gw4, gw6 []net.IP
	for _, ip := range r.IPs {
		if ip.Interface != nil {
			i := *ip.Interface
			if i < 0 || i >= len(r.Interfaces) || r.Interfaces[i].Sandbox == "" {
				continue
			}
			out.Interface = r.Interfaces[i].Name
		}
		if ip.Address.IP.To4() != nil {
			v4 = append(v4, ip.Address.IP.To4())
			gw4 = appendIP(gw4, ip.Gateway)
		} else {
			v6 = append(v6, ip.Address.IP)
			gw6 = appendIP(gw6, ip.Gateway)
		}
	}
	out.IPs = append(v4, v6...)
	out.Gateways = append(gw4, gw6...)
	if len(out.IPs) == 0 {
		return nil, fmt.Errorf("CNI result has no IP address for the pod: %w", errdefs.ErrUnavailable)
	}
	return out, nil
}

func appendIP(ips []net.IP, ip net.IP) []net.IP {
	if ip == nil {
		return ips
	}
	if v4 := ip.To4(); v4 != nil {
		ip = v4
	}
	return append(ips, ip)
}
