package daemonset

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/skiffrt/skiff/controlplane/controller/history"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// revisionData is what a revision of ds holds: the strategic merge patch
// that puts its template back, as kubectl rollout undo applies it.
func revisionData(ds *appsv1.DaemonSet) ([]byte, error) {
	raw, err := json.Marshal(ds.Spec.Template)
	if err != nil {
		return nil, err
	}
	var template map[string]any
	if err := json.Unmarshal(raw, &template); err != nil {
		return nil, err
	}
	template["$patch"] = "replace"
	return json.Marshal(map[string]any{"spec": map[string]any{"template": template}})
}

// currentRevision returns the revision of ds's template, created or
// renumbered as the newest when needed, and the collision count to
// write to the status. revs are ds's revisions, oldest first.
func (c *Controller) currentRevision(ctx context.Context, ds *appsv1.DaemonSet, revs []*appsv1.ControllerRevision) (*appsv1.ControllerRevision, int32, error) {
	var collisions int32
	if ds.Status.CollisionCount != nil {
		collisions = *ds.Status.CollisionCount
	}
	data, err := revisionData(ds)
	if err != nil {
		return nil, collisions, err
	}
	next := history.Next(revs)
	candidate := history.New(ds, kind, ds.Spec.Template.Labels, data, next, &collisions)
	if equal := history.FindEqual(revs, candidate); len(equal) > 0 {
		cur := equal[len(equal)-1]
		if cur.Revision == next-1 {
			return cur, collisions, nil
		}
		// An older template again (rollout undo): it is the newest now.
		renumbered, err := history.Renumber(ctx, c.history, cur, next)
		return renumbered, collisions, err
	}
	if ds.DeletionTimestamp != nil {
		return candidate, collisions, nil
	}
	cur, err := history.Create(ctx, c.history, ds, candidate, &collisions)
	return cur, collisions, err
}

// cleanupRevisions deletes the oldest revisions beyond
// revisionHistoryLimit that neither cur nor a live pod uses.
func (c *Controller) cleanupRevisions(ctx context.Context, ds *appsv1.DaemonSet, revs []*appsv1.ControllerRevision, cur *appsv1.ControllerRevision, all []*corev1.Pod) error {
	limit := 10
	if l := ds.Spec.RevisionHistoryLimit; l != nil {
		limit = int(*l)
	}
	used := map[string]bool{cur.Labels[history.HashLabel]: true}
	for _, p := range all {
		used[p.Labels[history.HashLabel]] = true
	}
	var unused []*appsv1.ControllerRevision
	for _, r := range revs {
		if r.Name != cur.Name && !used[r.Labels[history.HashLabel]] {
			unused = append(unused, r)
		}
	}
	var errs []error
	for i := 0; i < len(unused)-limit; i++ {
		errs = append(errs, c.history.Delete(ctx, unused[i].Namespace, unused[i].Name))
	}
	return errors.Join(errs...)
}
