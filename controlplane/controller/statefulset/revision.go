package statefulset

import (
	"context"
	"encoding/json"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/strategicpatch"

	"github.com/skiffrt/skiff/controlplane/controller/history"
)

// revisionData is what a revision of set holds, as upstream's: a
// strategic merge patch that replaces the pod template, which kubectl
// rollout undo applies to the set.
func revisionData(set *appsv1.StatefulSet) ([]byte, error) {
	raw, err := json.Marshal(set.Spec.Template)
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

// applyRevision returns set with the template of rev.
func applyRevision(set *appsv1.StatefulSet, rev *appsv1.ControllerRevision) (*appsv1.StatefulSet, error) {
	raw, err := json.Marshal(set)
	if err != nil {
		return nil, err
	}
	patched, err := strategicpatch.StrategicMergePatch(raw, rev.Data.Raw, &appsv1.StatefulSet{})
	if err != nil {
		return nil, fmt.Errorf("revision %s: %w", rev.Name, err)
	}
	out := &appsv1.StatefulSet{}
	if err := json.Unmarshal(patched, out); err != nil {
		return nil, fmt.Errorf("revision %s: %w", rev.Name, err)
	}
	return out, nil
}

// ensureRevisions returns the current and update revisions of set, given its
// revisions revs (sorted oldest first). The update revision holds the
// set's template: the newest revision if it already does, an older one
// holding it renumbered as the newest (a rollback), or a new one; a hash
// collision raises *collisions. The current revision is the one
// status.currentRevision names, else the update revision.
func (c *Controller) ensureRevisions(ctx context.Context, set *appsv1.StatefulSet, revs []*appsv1.ControllerRevision, collisions *int32) (current, update *appsv1.ControllerRevision, err error) {
	data, err := revisionData(set)
	if err != nil {
		return nil, nil, err
	}
	next := history.Next(revs)
	update = history.New(set, kind, set.Spec.Template.Labels, data, next, collisions)
	equal := history.FindEqual(revs, update)
	switch {
	case len(equal) > 0 && equal[len(equal)-1].Revision == revs[len(revs)-1].Revision:
		update = equal[len(equal)-1]
	case len(equal) > 0:
		update, err = history.Renumber(ctx, c.revAPI, equal[len(equal)-1], next)
	default:
		update, err = history.Create(ctx, c.revAPI, set, update, collisions)
	}
	if err != nil {
		return nil, nil, err
	}
	current = update
	for _, r := range revs {
		if r.Name == set.Status.CurrentRevision && r.Name != update.Name {
			current = r
		}
	}
	return current, update, nil
}

// truncateHistory deletes the oldest revisions beyond
// revisionHistoryLimit that no pod runs and that are neither current nor
// update.
func (c *Controller) truncateHistory(ctx context.Context, set *appsv1.StatefulSet, revs []*appsv1.ControllerRevision, pods []*corev1.Pod, current, update string) error {
	live := map[string]bool{current: true, update: true}
	for _, p := range pods {
		live[revisionOf(p)] = true
	}
	var old []*appsv1.ControllerRevision
	for _, r := range revs {
		if !live[r.Name] {
			old = append(old, r)
		}
	}
	limit := 10
	if set.Spec.RevisionHistoryLimit != nil {
		limit = int(*set.Spec.RevisionHistoryLimit)
	}
	for i := 0; i < len(old)-limit; i++ {
		if err := c.revAPI.Delete(ctx, old[i].Namespace, old[i].Name); err != nil {
			return err
		}
	}
	return nil
}
