package job

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/skiffrt/skiff/controlplane/controller/pods"
)

// indexEnv is the variable that tells an Indexed Job's container its index.
const indexEnv = "JOB_COMPLETION_INDEX"

func indexed(job *batchv1.Job) bool {
	return job.Spec.CompletionMode != nil && *job.Spec.CompletionMode == batchv1.IndexedCompletion && job.Spec.Completions != nil
}

// indexOf is the completion index of a pod of job, or -1.
func indexOf(job *batchv1.Job, p *corev1.Pod) int {
	i, err := strconv.Atoi(p.Annotations[batchv1.JobCompletionIndexAnnotation])
	if err != nil || i < 0 || job.Spec.Completions == nil || i >= int(*job.Spec.Completions) {
		return -1
	}
	return i
}

// parseIndexes reads status.completedIndexes ("1,3-5,7").
func parseIndexes(s string) map[int]bool {
	out := map[int]bool{}
	for part := range strings.SplitSeq(s, ",") {
		if part == "" {
			continue
		}
		lo, hi, found := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		b := a
		if found {
			if b, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		for i := a; i <= b; i++ {
			out[i] = true
		}
	}
	return out
}

// formatIndexes writes indexes as status.completedIndexes does.
func formatIndexes(set map[int]bool) string {
	idx := slices.Sorted(maps.Keys(set))
	var parts []string
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && idx[j+1] == idx[j]+1 {
			j++
		}
		if i == j {
			parts = append(parts, strconv.Itoa(idx[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", idx[i], idx[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// missingIndexes are the first n indexes of job neither completed nor
// running.
func missingIndexes(job *batchv1.Job, completed map[int]bool, active []*corev1.Pod, n int) []int {
	running := map[int]bool{}
	for _, p := range active {
		running[indexOf(job, p)] = true
	}
	var out []int
	for i := 0; i < int(*job.Spec.Completions) && len(out) < n; i++ {
		if !completed[i] && !running[i] {
			out = append(out, i)
		}
	}
	return out
}

// surplus are the active pods of an Indexed Job that are not needed: no
// valid index, an index completed, or a second pod of an index. Of the
// pods of one index, the one the ReplicaSet controller would delete last
// stays (scheduled, running, ready, older), whatever order active has.
func surplus(job *batchv1.Job, completed map[int]bool, active []*corev1.Pod, now time.Time) []*corev1.Pod {
	best := slices.Clone(active)
	pods.SortForDeletion(best, nil, now)
	slices.Reverse(best)
	seen := map[int]bool{}
	var out []*corev1.Pod
	for _, p := range best {
		i := indexOf(job, p)
		if i < 0 || completed[i] || seen[i] {
			out = append(out, p)
			continue
		}
		seen[i] = true
	}
	return out
}

// indexedTemplate is the template of the pod of index i: the index as
// annotation, label and environment variable, and the hostname
// "<job>-<i>", as upstream.
func indexedTemplate(job *batchv1.Job, template *corev1.PodTemplateSpec, i int) *corev1.PodTemplateSpec {
	t := template.DeepCopy()
	index := strconv.Itoa(i)
	t.Annotations = maps.Clone(t.Annotations)
	if t.Annotations == nil {
		t.Annotations = map[string]string{}
	}
	t.Annotations[batchv1.JobCompletionIndexAnnotation] = index
	t.Labels = maps.Clone(t.Labels)
	if t.Labels == nil {
		t.Labels = map[string]string{}
	}
	t.Labels[batchv1.JobCompletionIndexAnnotation] = index
	if host := fmt.Sprintf("%s-%d", job.Name, i); t.Spec.Hostname == "" && len(host) <= 63 {
		t.Spec.Hostname = host
	}
	for _, cs := range [][]corev1.Container{t.Spec.InitContainers, t.Spec.Containers} {
		for j := range cs {
			cs[j].Env = append(cs[j].Env, corev1.EnvVar{Name: indexEnv, Value: index})
		}
	}
	return t
}
