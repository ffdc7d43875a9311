package nodeipam

import (
	"context"
	"errors"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/skiffrt/skiff/internal/log"
)

var everything = labels.Everything()

// sync gives node name its CIDRs, records the CIDRs it already holds,
// or frees them once it is gone.
func (c *Controller) sync(ctx context.Context, name string) error {
	node, err := c.nodes.Get(name)
	if apierrors.IsNotFound(err) {
		c.release(ctx, name)
		return nil
	}
	if err != nil {
		return err
	}
	if len(nodeCIDRs(node)) > 0 {
		c.occupy(ctx, node)
		return nil
	}
	cidrs, fresh, err := c.allocate(name)
	if errors.Is(err, ErrFull) {
		c.recorder.Eventf(node, corev1.EventTypeNormal, "CIDRNotAvailable", "Node %s status is now: CIDRNotAvailable", name)
		log.G(ctx).Warn("no pod CIDR for node", "node", name, log.KeyError, err)
		return nil
	}
	if err != nil {
		return err
	}
	n := node.DeepCopy()
	n.Spec.PodCIDR = cidrs[0].String()
	n.Spec.PodCIDRs = nil
	for _, p := range cidrs {
		n.Spec.PodCIDRs = append(n.Spec.PodCIDRs, p.String())
	}
	if _, err := c.api.update(ctx, n); err != nil {
		// Stale cache, node gone or the API down: give back what this
		// sync took; the next sync sees the node as it is.
		c.forget(name, fresh)
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}
	log.G(ctx).Info("pod CIDR assigned", "node", name, "cidrs", n.Spec.PodCIDRs)
	c.recorder.Eventf(node, corev1.EventTypeNormal, "CIDRAssignmentSucceeded", "Node %s has pod CIDRs %v", name, n.Spec.PodCIDRs)
	return nil
}

// nodeCIDRs are the node's pod CIDRs as written (podCIDRs, or podCIDR
// from an older writer), unparsed entries skipped.
func nodeCIDRs(n *corev1.Node) []netip.Prefix {
	raw := n.Spec.PodCIDRs
	if len(raw) == 0 && n.Spec.PodCIDR != "" {
		raw = []string{n.Spec.PodCIDR}
	}
	var out []netip.Prefix
	for _, s := range raw {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
		}
	}
	return out
}

// allocate returns node name's CIDRs, one per cluster CIDR: those it was
// given before (a node deleted and created again under the same name, or
// a write whose echo the cache has not shown yet), else new ones, which
// fresh lists.
func (c *Controller) allocate(name string) (cidrs, fresh []netip.Prefix, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	held := c.owned[name]
	for _, s := range c.sets {
		if i := slices.IndexFunc(held, s.Contains); i >= 0 {
			cidrs = append(cidrs, held[i])
			continue
		}
		p, err := s.Allocate()
		if err != nil {
			c.full = c.full || errors.Is(err, ErrFull)
			for _, f := range fresh {
				c.releaseLocked(f)
			}
			return nil, nil, err
		}
		cidrs, fresh = append(cidrs, p), append(fresh, p)
	}
	c.owned[name] = cidrs
	return cidrs, fresh, nil
}

// forget gives back the fresh CIDRs of a failed assignment to name.
func (c *Controller) forget(name string, fresh []netip.Prefix) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.owned[name] = slices.DeleteFunc(c.owned[name], func(p netip.Prefix) bool { return slices.Contains(fresh, p) })
	if len(c.owned[name]) == 0 {
		delete(c.owned, name)
	}
	for _, p := range fresh {
		c.releaseLocked(p)
	}
}

// occupy records the CIDRs node holds in the cluster CIDRs, freeing any
// other this controller had given it. A CIDR another node holds too is
// reported, and stays in use until both are gone.
func (c *Controller) occupy(ctx context.Context, node *corev1.Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var mine []netip.Prefix
	for _, p := range nodeCIDRs(node) {
		i := slices.IndexFunc(c.sets, func(s *CIDRSet) bool { return s.Contains(p) })
		if i < 0 {
			log.G(ctx).Debug("pod CIDR outside the cluster CIDRs", "node", node.Name, "cidr", p)
			continue
		}
		mine = append(mine, p)
		if slices.Contains(c.owned[node.Name], p) {
			continue
		}
		if free, _ := c.sets[i].Occupy(p); !free {
			if other := c.holder(p, node.Name); other != "" {
				log.G(ctx).Warn("pod CIDR held by two nodes", "cidr", p, "node", node.Name, "other", other)
			}
		}
	}
	old := c.owned[node.Name]
	c.owned[node.Name] = mine
	if len(mine) == 0 {
		delete(c.owned, node.Name)
	}
	for _, p := range old {
		if !slices.Contains(mine, p) {
			c.releaseLocked(p)
		}
	}
}

// release frees the CIDRs of the deleted node name. If some node was
// left without a CIDR for want of one, the nodes still without are
// queued again.
func (c *Controller) release(ctx context.Context, name string) {
	c.mu.Lock()
	held, ok := c.owned[name]
	delete(c.owned, name)
	for _, p := range held {
		c.releaseLocked(p)
	}
	retry := ok && c.full
	if retry {
		c.full = false
	}
	c.mu.Unlock()
	if ok {
		log.G(ctx).Info("pod CIDR released", "node", name, "cidrs", held)
	}
	if retry {
		waiting, _ := c.nodes.List(everything)
		for _, w := range waiting {
			if len(nodeCIDRs(w)) == 0 {
				c.queue.Add(w.Name)
			}
		}
	}
}

// releaseLocked frees p unless another node holds it. c.mu is held.
func (c *Controller) releaseLocked(p netip.Prefix) {
	if c.holder(p, "") != "" {
		return
	}
	for _, s := range c.sets {
		if s.Contains(p) {
			_ = s.Release(p)
		}
	}
}

// holder is a node other than except that holds p. c.mu is held.
func (c *Controller) holder(p netip.Prefix, except string) string {
	for name, held := range c.owned {
		if name != except && slices.Contains(held, p) {
			return name
		}
	}
	return ""
}
