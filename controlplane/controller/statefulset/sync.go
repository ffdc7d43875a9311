package statefulset

import (
	"context"
	"fmt"
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/controller/history"
	"github.com/skiffrt/skiff/controlplane/controller/ownerref"
	"github.com/skiffrt/skiff/internal/log"
)

// sync brings the StatefulSet of key (namespace/name) one step closer to
// its spec and writes its status.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	set, err := c.sets.StatefulSets(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	selector, err := metav1.LabelSelectorAsSelector(set.Spec.Selector)
	if err != nil {
		log.G(ctx).Warn("invalid selector", "statefulset", key, log.KeyError, err)
		return nil
	}
	all, err := ownerref.Owned[*corev1.Pod](c.pods, ns, set.UID, true)
	if err != nil {
		return err
	}
	owned, err := c.claim(ctx, set, selector, all)
	if err != nil {
		return err
	}
	revs, err := ownerref.Owned[*appsv1.ControllerRevision](c.revisions, ns, set.UID, false)
	if err != nil {
		return err
	}
	history.Sort(revs)
	status, err := c.update(ctx, set, owned, revs)
	if status == nil {
		return err
	}
	updated, werr := c.writeStatus(ctx, set, *status)
	if err != nil || werr != nil {
		return cmpErr(err, werr)
	}
	if m := updated.Spec.MinReadySeconds; m > 0 && updated.Status.ReadyReplicas != updated.Status.AvailableReplicas {
		c.queue.AddAfter(key, time.Duration(m)*time.Second)
	}
	return nil
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// claim adopts the matching orphans named as set's pods, releases owned
// pods that no longer match, and returns the pods that are set's.
func (c *Controller) claim(ctx context.Context, set *appsv1.StatefulSet, selector labels.Selector, all []*corev1.Pod) ([]*corev1.Pod, error) {
	claimer := &ownerref.Claimer{
		Owner: set, Kind: kind, Patch: c.podAPI.patchPod,
		CanAdopt: ownerref.FreshOwner(set, func(ctx context.Context) (metav1.Object, error) {
			return c.api.get(ctx, set.Namespace, set.Name)
		}),
	}
	return ownerref.Claim(ctx, claimer, all, func(p *corev1.Pod) bool {
		return selector.Matches(labels.Set(p.Labels)) && isMember(set, p)
	})
}

// update computes the revisions, acts on the pods (unless the set is
// being deleted) and returns the status to write (nil when the revisions
// could not be made).
func (c *Controller) update(ctx context.Context, set *appsv1.StatefulSet, owned []*corev1.Pod, revs []*appsv1.ControllerRevision) (*appsv1.StatefulSetStatus, error) {
	var collisions int32
	if set.Status.CollisionCount != nil {
		collisions = *set.Status.CollisionCount
	}
	current, update, err := c.ensureRevisions(ctx, set, revs, &collisions)
	if err != nil {
		return nil, err
	}
	r := &round{set: set, current: current.Name, update: update.Name, now: c.now()}
	if r.currentSet, err = applyRevision(set, current); err != nil {
		return nil, err
	}
	if r.updateSet, err = applyRevision(set, update); err != nil {
		return nil, err
	}
	r.split(owned)
	st := computeStatus(r, owned, collisions)
	if set.DeletionTimestamp != nil {
		return &st, nil
	}
	if err := c.act(ctx, r); err != nil {
		return &st, err
	}
	return &st, c.truncateHistory(ctx, set, revs, owned, st.CurrentRevision, st.UpdateRevision)
}

// round is what one sync knows of a set.
type round struct {
	set             *appsv1.StatefulSet
	currentSet      *appsv1.StatefulSet // set with the current revision's template
	updateSet       *appsv1.StatefulSet // set with the update revision's template
	current, update string              // the revisions' names
	replicas        []*corev1.Pod       // by ordinal - start; nil: missing
	condemned       []*corev1.Pod       // ordinals out of range, highest first
	now             time.Time
}

// split sorts the pods into the replicas wanted and the condemned.
func (r *round) split(owned []*corev1.Pod) {
	start, n := startOrdinal(r.set), replicas(r.set)
	r.replicas = make([]*corev1.Pod, n)
	for _, p := range owned {
		ord, ok := ordinalOf(r.set, p.Name)
		switch {
		case !ok:
		case ord >= start && ord < start+n:
			r.replicas[ord-start] = p
		default:
			r.condemned = append(r.condemned, p)
		}
	}
	slices.SortFunc(r.condemned, func(a, b *corev1.Pod) int {
		oa, _ := ordinalOf(r.set, a.Name)
		ob, _ := ordinalOf(r.set, b.Name)
		return ob - oa
	})
}

func (r *round) monotonic() bool {
	return r.set.Spec.PodManagementPolicy != appsv1.ParallelPodManagement
}

func (r *round) rolling() bool {
	return r.set.Spec.UpdateStrategy.Type == appsv1.RollingUpdateStatefulSetStrategyType
}

func (r *round) partition() int {
	if ru := r.set.Spec.UpdateStrategy.RollingUpdate; r.rolling() && ru != nil && ru.Partition != nil {
		return int(*ru.Partition)
	}
	return 0
}

// newPod is the pod to create for ordinal ord: below the partition of a
// rolling update at the current revision, else at the update revision.
func (r *round) newPod(ord int) *corev1.Pod {
	if r.rolling() && ord < startOrdinal(r.set)+r.partition() {
		return newPod(r.currentSet, r.current, ord)
	}
	return newPod(r.updateSet, r.update, ord)
}

func (r *round) healthy(p *corev1.Pod) bool {
	return p != nil && p.DeletionTimestamp == nil && runningAndReady(p)
}

func (r *round) available(p *corev1.Pod) bool {
	return r.healthy(p) && isAvailable(p, r.set.Spec.MinReadySeconds, r.now)
}

// act makes the writes of one step: create missing pods (and their
// claims) and replace failed ones, remove condemned pods highest first,
// then roll pods onto the update revision. OrderedReady stops at the
// first write and at the first pod not yet available; Parallel goes on.
func (c *Controller) act(ctx context.Context, r *round) error {
	mono := r.monotonic()
	start := startOrdinal(r.set)
	for i, p := range r.replicas {
		ord := start + i
		switch {
		case p == nil:
			np := r.newPod(ord)
			if err := c.ensureClaims(ctx, r.set, np, ord); err != nil {
				return err
			}
			if err := c.podAPI.createPod(ctx, r.set, np); err != nil && !apierrors.IsAlreadyExists(err) {
				return err
			}
			// AlreadyExists: the cache has not seen it yet.
			if mono {
				return nil
			}
			continue
		case p.DeletionTimestamp != nil:
			if mono {
				return nil
			}
			continue
		case p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded:
			// Made again under its name once gone.
			if err := c.delete(ctx, r.set, p); err != nil {
				return err
			}
			if mono {
				return nil
			}
			continue
		}
		if err := c.ensureClaims(ctx, r.set, p, ord); err != nil {
			return err
		}
		if !identityMatches(p, ord) {
			if err := c.podAPI.patchPod(ctx, p.Namespace, p.Name, identityPatch(p, ord)); err != nil {
				return err
			}
		}
		if mono && !r.available(p) {
			return nil
		}
	}
	if done, err := c.condemn(ctx, r); done || err != nil {
		return err
	}
	return c.roll(ctx, r)
}

// condemn removes the pods beyond the replicas, highest ordinal first.
// OrderedReady removes one at a time, waits for it to be gone, and
// removes a pod only while the others are healthy (or when it is the
// first one that is not). done: stop this round.
func (c *Controller) condemn(ctx context.Context, r *round) (done bool, err error) {
	mono := r.monotonic()
	var firstUnhealthy *corev1.Pod
	for _, p := range append(slices.Clone(r.replicas), r.condemned...) {
		if !r.healthy(p) {
			firstUnhealthy = p
			break
		}
	}
	for _, p := range r.condemned {
		if p.DeletionTimestamp != nil {
			if mono {
				return true, nil
			}
			continue
		}
		if mono && !r.healthy(p) && p != firstUnhealthy {
			return true, nil
		}
		if retention(r.set).WhenScaled == appsv1.DeletePersistentVolumeClaimRetentionPolicyType {
			if err := c.handClaimsToPod(ctx, r.set, p); err != nil {
				return true, err
			}
		}
		if err := c.delete(ctx, r.set, p); err != nil {
			return true, err
		}
		if mono {
			return true, nil
		}
	}
	return false, nil
}

// roll deletes, highest ordinal first down to the partition, the pods
// not at the update revision, while fewer than maxUnavailable replicas
// are unavailable; they come back at the update revision.
func (c *Controller) roll(ctx context.Context, r *round) error {
	if !r.rolling() {
		return nil
	}
	maxUnavailable := r.maxUnavailable()
	unavailable := 0
	for _, p := range r.replicas {
		if !r.available(p) {
			unavailable++
		}
	}
	for i := len(r.replicas) - 1; i >= max(r.partition(), 0); i-- {
		if unavailable >= maxUnavailable {
			return nil
		}
		p := r.replicas[i]
		if p == nil || p.DeletionTimestamp != nil || revisionOf(p) == r.update {
			continue
		}
		if err := c.delete(ctx, r.set, p); err != nil {
			return err
		}
		if r.available(p) {
			unavailable++
		}
	}
	return nil
}

// maxUnavailable is the rolling update's maxUnavailable against the
// replicas, rounded up, at least 1.
func (r *round) maxUnavailable() int {
	ru := r.set.Spec.UpdateStrategy.RollingUpdate
	if ru == nil || ru.MaxUnavailable == nil {
		return 1
	}
	n, err := scaled(ru.MaxUnavailable, replicas(r.set))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// delete deletes a pod of set; one already gone is fine.
func (c *Controller) delete(ctx context.Context, set *appsv1.StatefulSet, p *corev1.Pod) error {
	err := c.podAPI.deletePod(ctx, set, p)
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil // gone, or replaced (the UID precondition failed)
	}
	return err
}

// ensureClaims creates the claims of the pod of ordinal ord that do not
// exist yet; an existing claim is used as it is (a pod made again finds
// its data).
func (c *Controller) ensureClaims(ctx context.Context, set *appsv1.StatefulSet, p *corev1.Pod, ord int) error {
	for i := range set.Spec.VolumeClaimTemplates {
		want := newClaim(set, &set.Spec.VolumeClaimTemplates[i], ord)
		got, err := c.claims.PersistentVolumeClaims(set.Namespace).Get(want.Name)
		switch {
		case err == nil && got.DeletionTimestamp != nil:
			return fmt.Errorf("claim %s of pod %s is being deleted", want.Name, p.Name)
		case err == nil:
			continue
		case !apierrors.IsNotFound(err):
			return err
		}
		if err := c.podAPI.createClaim(ctx, set, p, want); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	return nil
}

// handClaimsToPod makes a condemned pod an owner of its claims
// (whenScaled: Delete), so that the garbage collector deletes them once
// the pod is gone.
func (c *Controller) handClaimsToPod(ctx context.Context, set *appsv1.StatefulSet, p *corev1.Pod) error {
	ord, _ := ordinalOf(set, p.Name)
	ref := ownerRef(p, corev1.SchemeGroupVersion.WithKind("Pod"))
	for i := range set.Spec.VolumeClaimTemplates {
		name := claimName(set, &set.Spec.VolumeClaimTemplates[i], ord)
		claim, err := c.claims.PersistentVolumeClaims(set.Namespace).Get(name)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		if slices.ContainsFunc(claim.OwnerReferences, func(o metav1.OwnerReference) bool { return o.UID == p.UID }) {
			continue
		}
		if err := c.podAPI.patchClaim(ctx, claim.Namespace, claim.Name, ownerPatch(claim.UID, ref)); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}
