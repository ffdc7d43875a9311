package job

import (
	"maps"
	"slices"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

func indexedJob(completions, parallelism int32, done string) *batchv1.Job {
	return job(completions, parallelism, func(j *batchv1.Job) {
		j.Spec.CompletionMode = new(batchv1.IndexedCompletion)
		j.Status.CompletedIndexes = done
		j.Status.Succeeded = int32(len(parseIndexes(done)))
		j.Spec.Template.Spec.Containers = []corev1.Container{{Name: "c"}}
	})
}

func withIndex(i string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Annotations = map[string]string{batchv1.JobCompletionIndexAnnotation: i}
	}
}

func TestSyncIndexed(t *testing.T) {
	tests := []struct {
		name      string
		objs      []any
		indexes   []string // of the pods created
		deleted   []string
		completed string
		succeeded int32
		complete  bool
	}{
		{name: "pods for the lowest missing indexes",
			objs:    []any{indexedJob(4, 2, "0"), pod("one", corev1.PodRunning, withIndex("1"))},
			indexes: []string{"2"}, completed: "0", succeeded: 1},
		{name: "a succeeded index is recorded once",
			objs:    []any{indexedJob(4, 1, "0-1"), pod("two", corev1.PodSucceeded, withIndex("2"))},
			indexes: []string{"3"}, completed: "0-2", succeeded: 3},
		{name: "every index done: Complete",
			objs:      []any{indexedJob(3, 2, "0,2"), pod("one", corev1.PodSucceeded, withIndex("1"))},
			completed: "0-2", succeeded: 3, complete: true},
		{name: "a second pod of an index, and one of a completed index, go",
			objs: []any{indexedJob(4, 3, "0"), pod("a", corev1.PodRunning, withIndex("1")), pod("b", corev1.PodRunning, withIndex("1")),
				pod("c", corev1.PodRunning, withIndex("0")), pod("d", corev1.PodPending, withIndex("2")), pod("e", corev1.PodRunning, withIndex("2"))},
			deleted: []string{"a", "c", "d"}, completed: "0", succeeded: 1}, // a and b tie, and the uid decides
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := testController(t, tt.objs...)
			if err := f.c.sync(t.Context(), "ns/pi"); err != nil {
				t.Fatal(err)
			}
			var indexes []string
			for _, p := range f.pods.created {
				i := p.Annotations[batchv1.JobCompletionIndexAnnotation]
				indexes = append(indexes, i)
				if p.Labels[batchv1.JobCompletionIndexAnnotation] != i || p.Spec.Hostname != "pi-"+i ||
					!slices.Contains(p.Spec.Containers[0].Env, corev1.EnvVar{Name: indexEnv, Value: i}) {
					t.Fatalf("pod of index %s: %+v", i, p)
				}
			}
			st := f.api.last(t)
			if !slices.Equal(indexes, tt.indexes) || !slices.Equal(f.pods.deleted, tt.deleted) || st.CompletedIndexes != tt.completed ||
				st.Succeeded != tt.succeeded || isTrue(&st, batchv1.JobComplete) != tt.complete {
				t.Fatalf("created %v, deleted %v, completedIndexes %q, succeeded %d, conditions %+v", indexes, f.pods.deleted, st.CompletedIndexes, st.Succeeded, st.Conditions)
			}
		})
	}
}

func TestIndexes(t *testing.T) {
	for _, s := range []string{"", "0", "0-2", "1,3-5,7", "0-1,3"} {
		if got := formatIndexes(parseIndexes(s)); got != s {
			t.Errorf("%q read and written is %q", s, got)
		}
	}
	if got := slices.Sorted(maps.Keys(parseIndexes("2,0-1"))); !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("parse: %v", got)
	}
}
