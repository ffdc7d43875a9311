package namespace

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiffrt/skiff/controlplane/controller"
)

// sync empties the deleted namespace name, writes its progress, and
// finalizes it once empty.
func (c *Controller) sync(ctx context.Context, name string) error {
	cached, err := c.namespaces.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if cached.DeletionTimestamp == nil || !slices.Contains(cached.Spec.Finalizers, corev1.FinalizerKubernetes) {
		return nil
	}
	ns := cached.DeepCopy()
	r := c.deleteContent(ctx, ns.Name)
	ns.Status.Phase = corev1.NamespaceTerminating
	if setConditions(&ns.Status, r.conditions(), metav1.NewTime(c.now())) || cached.Status.Phase != corev1.NamespaceTerminating {
		updated, err := c.api.updateStatus(ctx, ns)
		if err != nil {
			return err
		}
		ns = updated
	}
	if r.failed() {
		return r.err()
	}
	if r.remaining() {
		c.queue.AddAfter(name, recheck)
		return nil
	}
	ns.Spec.Finalizers = slices.DeleteFunc(ns.Spec.Finalizers, func(f corev1.FinalizerName) bool { return f == corev1.FinalizerKubernetes })
	_, err = c.api.finalize(ctx, ns)
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// result is what one pass over a namespace's contents found.
type result struct {
	discoveryErr error
	deleteErrs   []error
	left         map[string]int // by "resource.group"
	finalizers   map[string]int // objects left, by finalizer
}

// deleteContent deletes the objects of every namespaced kind in ns and
// counts what is left.
func (c *Controller) deleteContent(ctx context.Context, ns string) *result {
	r := &result{left: map[string]int{}, finalizers: map[string]int{}}
	resources, err := c.api.resources()
	if err != nil {
		r.discoveryErr = err
	}
	for _, res := range resources {
		if err := c.api.deleteCollection(ctx, res, ns); err != nil && !apierrors.IsNotFound(err) {
			r.deleteErrs = append(r.deleteErrs, fmt.Errorf("failed to delete %s: %w", resourceName(res), err))
			continue
		}
		items, err := c.api.list(ctx, res, ns)
		if err != nil {
			r.deleteErrs = append(r.deleteErrs, fmt.Errorf("failed to list %s: %w", resourceName(res), err))
			continue
		}
		if len(items) > 0 {
			r.left[resourceName(res)] = len(items)
		}
		for _, it := range items {
			for _, f := range it.Finalizers {
				r.finalizers[f]++
			}
		}
	}
	return r
}

// resourceName is "pods." or "deployments.apps", as upstream's messages
// name resources.
func resourceName(r controller.Resource) string { return r.Resource + "." + r.Group }

func (r *result) failed() bool    { return r.discoveryErr != nil || len(r.deleteErrs) > 0 }
func (r *result) remaining() bool { return len(r.left) > 0 }

func (r *result) err() error {
	return errors.Join(append([]error{r.discoveryErr}, r.deleteErrs...)...)
}

// conditions are the namespace conditions that are True this pass; the
// others are False with their "all done" reason.
func (r *result) conditions() []corev1.NamespaceCondition {
	var out []corev1.NamespaceCondition
	add := func(t corev1.NamespaceConditionType, reason, msg string) {
		out = append(out, corev1.NamespaceCondition{Type: t, Status: corev1.ConditionTrue, Reason: reason, Message: msg})
	}
	if r.discoveryErr != nil {
		add(corev1.NamespaceDeletionDiscoveryFailure, "DiscoveryFailed", r.discoveryErr.Error())
	}
	if len(r.deleteErrs) > 0 {
		msgs := make([]string, len(r.deleteErrs))
		for i, e := range r.deleteErrs {
			msgs[i] = e.Error()
		}
		sort.Strings(msgs)
		add(corev1.NamespaceDeletionContentFailure, "ContentDeletionFailed",
			fmt.Sprintf("Failed to delete all resource types, %d remaining: %v", len(msgs), strings.Join(msgs, ", ")))
	}
	if len(r.left) > 0 {
		add(corev1.NamespaceContentRemaining, "SomeResourcesRemain",
			"Some resources are remaining: "+counted(r.left, "%s has %d resource instances"))
	}
	if len(r.finalizers) > 0 {
		add(corev1.NamespaceFinalizersRemaining, "SomeFinalizersRemain",
			"Some content in the namespace has finalizers remaining: "+counted(r.finalizers, "%s in %d resource instances"))
	}
	return out
}

// counted formats each count with format, sorted, comma-separated.
func counted(counts map[string]int, format string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf(format, k, counts[k]))
	}
	return strings.Join(parts, ", ")
}

// conditionTypes are the namespace deletion conditions, in upstream's
// order, with what each says when all is well.
var conditionTypes = []struct {
	t       corev1.NamespaceConditionType
	reason  string
	message string
}{
	{corev1.NamespaceDeletionDiscoveryFailure, "ResourcesDiscovered", "All resources successfully discovered"},
	{corev1.NamespaceDeletionGVParsingFailure, "ParsedGroupVersions", "All legacy kube types successfully parsed"},
	{corev1.NamespaceDeletionContentFailure, "ContentDeleted", "All content successfully deleted, may be waiting on finalization"},
	{corev1.NamespaceContentRemaining, "ContentRemoved", "All content successfully removed"},
	{corev1.NamespaceFinalizersRemaining, "ContentHasNoFinalizers", "All content-preserving finalizers finished"},
}

// setConditions sets every deletion condition of st: those in trues as
// given, the others False and fine; it tells whether anything changed.
func setConditions(st *corev1.NamespaceStatus, trues []corev1.NamespaceCondition, now metav1.Time) bool {
	changed := false
	for _, ct := range conditionTypes {
		want := corev1.NamespaceCondition{Type: ct.t, Status: corev1.ConditionFalse, Reason: ct.reason, Message: ct.message}
		if i := slices.IndexFunc(trues, func(c corev1.NamespaceCondition) bool { return c.Type == ct.t }); i >= 0 {
			want = trues[i]
		}
		i := slices.IndexFunc(st.Conditions, func(c corev1.NamespaceCondition) bool { return c.Type == ct.t })
		switch {
		case i < 0:
			want.LastTransitionTime = now
			st.Conditions = append(st.Conditions, want)
			changed = true
		case st.Conditions[i].Status != want.Status || st.Conditions[i].Reason != want.Reason || st.Conditions[i].Message != want.Message:
			want.LastTransitionTime = st.Conditions[i].LastTransitionTime
			if st.Conditions[i].Status != want.Status {
				want.LastTransitionTime = now
			}
			st.Conditions[i] = want
			changed = true
		}
	}
	return changed
}
