package service

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/skiffrt/skiff/controlplane/registry"
	"github.com/skiffrt/skiff/controlplane/storage"
	"github.com/skiffrt/skiff/internal/log"
)

// Recorder records a Warning event about a service.
type Recorder func(ctx context.Context, s *corev1.Service, reason, message string)

// Repair makes the claims of cluster IPs and node ports match the
// services, as kube-apiserver's ipallocator and portallocator repair
// controllers do. The claims change with the services in one etcd
// transaction, so through the API they cannot drift; what Repair mends
// is what came another way: services stored before claims existed, a
// restored etcd backup, keys written by hand.
//
//   - A claim that no service holds is a leak: it is freed.
//   - An address a service holds without its claim gets the claim.
//   - An address several services hold (double allocation) stays with the
//     oldest; the others get a Warning event, since taking a cluster IP
//     or node port away from a service breaks its clients: recreate them.
//   - An address out of the configured ranges gets a Warning event.
//
// Every write is conditioned on what was read (the claim's and the
// service's revisions), so Repair may run on every API server at once
// and beside any write.
type Repair struct {
	cfg     Config
	storage *storage.Store
	record  Recorder
}

// NewRepair returns the repair of the claims in st, recording events
// through record.
func NewRepair(cfg Config, st *storage.Store, record Recorder) *Repair {
	return &Repair{cfg: cfg, storage: st, record: record}
}

// Run repairs every interval until ctx ends.
func (r *Repair) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := r.RunOnce(ctx); err != nil && ctx.Err() == nil {
			log.G(ctx).Warn("service address repair", log.KeyError, err)
		}
	}
}

// holder is a service that holds an address, with its storage key.
type holder struct {
	svc *corev1.Service
	key string
}

// RunOnce repairs once, from the claims and the services read at one
// revision.
func (r *Repair) RunOnce(ctx context.Context) error {
	claims, rev, err := r.storage.ListClaims(ctx, "ranges/")
	if err != nil {
		return err
	}
	held, err := r.holders(ctx, rev)
	if err != nil {
		return err
	}
	byKey := map[string]storage.Claim{}
	for _, c := range claims {
		if strings.HasPrefix(c.Key, ipPrefix) || strings.HasPrefix(c.Key, portPrefix) {
			byKey[c.Key] = c
		}
	}
	var errs []error
	for key, c := range byKey {
		if len(held[key]) == 0 {
			errs = append(errs, r.release(ctx, c))
		}
	}
	for key, hs := range held {
		c, ok := byKey[key]
		errs = append(errs, r.assign(ctx, key, c, ok, hs))
	}
	return errors.Join(errs...)
}

// holders returns the services holding each claim key, oldest first,
// as stored at revision rev.
func (r *Repair) holders(ctx context.Context, rev int64) (map[string][]holder, error) {
	prefix := storage.Key("", "services", "", "")
	res, err := r.storage.List(ctx, prefix, storage.ListOptions{Revision: rev})
	if err != nil {
		return nil, err
	}
	held := map[string][]holder{}
	for _, obj := range res.Items {
		s := obj.(*corev1.Service)
		h := holder{svc: s, key: storage.Key("", "services", s.Namespace, s.Name)}
		for _, k := range claims(s) {
			held[k] = append(held[k], h)
		}
	}
	for _, hs := range held {
		slices.SortFunc(hs, func(a, b holder) int {
			return cmp.Or(a.svc.CreationTimestamp.Compare(b.svc.CreationTimestamp.Time), cmp.Compare(a.key, b.key))
		})
	}
	return held, nil
}

// release frees a claim no service holds.
func (r *Repair) release(ctx context.Context, c storage.Claim) error {
	err := r.storage.DropClaim(ctx, c.Key, c.ModRevision)
	if errors.Is(err, storage.ErrConflict) {
		return nil // it moved: the next run sees how
	}
	if err == nil {
		log.G(ctx).Info("service address repair: freed a leaked address", "address", c.Key, "holder", string(c.Owner))
	}
	return err
}

// assign makes sure the claim key belongs to one of the services that
// hold it, and tells the others and those out of range.
func (r *Repair) assign(ctx context.Context, key string, c storage.Claim, claimed bool, hs []holder) error {
	owner := -1
	for i, h := range hs {
		if claimed && string(c.Owner) == string(registry.Owner("Service", h.svc)) {
			owner = i
		}
	}
	var err error
	if owner < 0 {
		owner = 0
		err = r.claim(ctx, key, c, hs[0])
	}
	what, addr := describe(key)
	for i, h := range hs {
		if i != owner {
			r.record(ctx, h.svc, what+"AlreadyAllocated", fmt.Sprintf("%s %s was assigned to multiple services; please recreate service", what, addr))
		}
	}
	if !r.inRange(key) {
		r.record(ctx, hs[owner].svc, what+"OutOfRange", fmt.Sprintf("%s %s is not within the configured range; please recreate service", what, addr))
	}
	return err
}

// claim gives key to h, unless the claim or h moved since they were read.
func (r *Repair) claim(ctx context.Context, key string, c storage.Claim, h holder) error {
	err := r.storage.SetClaim(ctx, key, c.ModRevision, registry.Owner("Service", h.svc), h.key, rev(h.svc))
	if errors.Is(err, storage.ErrConflict) {
		return nil
	}
	if err != nil {
		return err
	}
	what, addr := describe(key)
	log.G(ctx).Info("service address repair: claimed an address for its service", "address", key, "service", h.svc.Namespace+"/"+h.svc.Name)
	r.record(ctx, h.svc, what+"NotAllocated", fmt.Sprintf("%s %s is not allocated; repairing", what, addr))
	return nil
}

// describe names a claim key's address for events: ("ClusterIP",
// "10.96.0.5") or ("Port", "30080").
func describe(key string) (what, addr string) {
	if ip, ok := strings.CutPrefix(key, ipPrefix); ok {
		return "ClusterIP", ip
	}
	return "Port", strings.TrimPrefix(key, portPrefix)
}

// inRange: the claim key's address is in the configured ranges.
func (r *Repair) inRange(key string) bool {
	if ip, ok := strings.CutPrefix(key, ipPrefix); ok {
		addr, err := netip.ParseAddr(ip)
		return err == nil && r.cfg.CIDR.Contains(addr)
	}
	p, err := strconv.Atoi(strings.TrimPrefix(key, portPrefix))
	return err == nil && int32(p) >= r.cfg.NodePortMin && int32(p) <= r.cfg.NodePortMax
}

// rev is the etcd revision of a stored object.
func rev(obj runtime.Object) int64 {
	r, _ := storage.ParseRevision(obj.(*corev1.Service).ResourceVersion)
	return r
}
