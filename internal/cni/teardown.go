package cni

import (
	"context"
	"errors"
	"fmt"

	"github.com/containernetworking/cni/libcni"
	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/log"
)

// Teardown removes the pod from the network. It is idempotent. It replays
// DEL from libcni's cache of the pod's ADD, so the network, config, CNI
// args and port mappings of the ADD are used even after a restart or a
// change of ConfDir; without a cache entry it uses the current config. If
// p.NetNS is empty or no longer a namespace, DEL runs without one (the
// kernel removed the pod's interface with it; plugins release the rest).
func (n *Network) Teardown(ctx context.Context, p Pod) error {
	if err := p.validate(false); err != nil {
		return err
	}
	defer n.pods.lock(p.ID)()
	ctx = log.WithAttrs(ctx, log.KeySandboxID, p.ID)

	netns := p.NetNS
	if netns != "" && !isNetNS(netns) {
		log.G(ctx).Debug("cni: netns gone, deleting without it", "netns", netns)
		netns = ""
	}
	atts, err := n.cni.GetCachedAttachments(p.ID)
	if err != nil {
		log.G(ctx).Warn("cni: reading cached attachments", log.KeyError, err)
	}
	if len(atts) == 0 {
		return n.delCurrent(ctx, p, netns)
	}
	var errs []error
	for _, a := range atts {
		errs = append(errs, n.delCached(ctx, a, netns))
	}
	return errors.Join(errs...)
}

// delCached runs DEL for one cached ADD.
func (n *Network) delCached(ctx context.Context, a *libcni.NetworkAttachment, netns string) error {
	list, err := libcni.NetworkConfFromBytes(a.Config)
	if err != nil {
		return fmt.Errorf("cni: network %q: cached config of pod %s: %w: %w", a.Network, a.ContainerID, errdefs.ErrInternal, err)
	}
	rt := &libcni.RuntimeConf{
		ContainerID:    a.ContainerID,
		NetNS:          netns,
		IfName:         a.IfName,
		Args:           a.CniArgs,
		CapabilityArgs: a.CapabilityArgs,
	}
	if netns == "" && needsStub(list) {
		path, remove, err := n.stubNetNS(ctx, list, rt)
		if err != nil {
			log.G(ctx).Warn("cni: stand-in netns for DEL; masquerade rules may be left", log.KeyError, err)
		}
		if path != "" {
			rt.NetNS = path
			defer func() {
				if err := remove(); err != nil {
					log.G(ctx).Warn("cni: remove stand-in netns", log.KeyError, err)
				}
			}()
		}
	}
	return n.del(ctx, list, rt)
}

// delCurrent runs DEL with the current config, for a pod whose ADD was
// not cached (a crash during ADD, or a repeated Teardown), with the
// addresses on the pod's interface as prevResult (see prevresult.go).
func (n *Network) delCurrent(ctx context.Context, p Pod, netns string) error {
	nc, err := n.current(ctx)
	if err != nil {
		// Nothing recorded an attachment and no network can be run: there
		// is nothing Teardown can do, and failing would block pod removal.
		log.G(ctx).Warn("cni: no cached attachment and network not ready; skipping DEL", log.KeyError, err)
		return nil
	}
	list, rt := nc.list, runtimeConf(p, netns, n.podCIDR())
	if netns != "" {
		prev, err := resultFromNetNS(netns, rt.IfName)
		if err == nil && prev != nil {
			list, err = withPrevResult(list, prev)
		}
		if err != nil {
			log.G(ctx).Warn("cni: no prevResult for DEL; firewall rules may be left", log.KeyError, err)
			list = nc.list
		}
	}
	return n.del(ctx, list, rt)
}

func (n *Network) del(ctx context.Context, list *libcni.NetworkConfigList, rt *libcni.RuntimeConf) error {
	log.G(ctx).Debug("cni: del", "network", list.Name, "netns", rt.NetNS)
	defer log.Span(ctx, "cni.del")()
	if err := n.cni.DelNetworkList(ctx, list, rt); err != nil {
		return fmt.Errorf("cni: network %q: delete pod %s: %w: %w", list.Name, rt.ContainerID, errdefs.ErrUnavailable, err)
	}
	return nil
}

// isNetNS reports whether path is still a pinned namespace.
func isNetNS(path string) bool {
	var st unix.Statfs_t
	return unix.Statfs(path, &st) == nil && st.Type == unix.NSFS_MAGIC
}
