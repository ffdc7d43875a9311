package podspec

import (
	"encoding/json"
	"hash/fnv"
	"maps"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Labels and annotations kubelet puts on CRI sandboxes and containers; the
// agent reads them back to tell whose a sandbox or container is.
const (
	LabelPodName       = "io.kubernetes.pod.name"
	LabelPodNamespace  = "io.kubernetes.pod.namespace"
	LabelPodUID        = "io.kubernetes.pod.uid"
	LabelContainerName = "io.kubernetes.container.name"

	AnnotationHash                     = "io.kubernetes.container.hash"
	AnnotationRestartCount             = "io.kubernetes.container.restartCount"
	AnnotationTerminationMessagePath   = "io.kubernetes.container.terminationMessagePath"
	AnnotationTerminationMessagePolicy = "io.kubernetes.container.terminationMessagePolicy"
	AnnotationPreStop                  = "io.kubernetes.container.preStopHandler"
	AnnotationPorts                    = "io.kubernetes.container.ports"
	AnnotationPodTerminationGrace      = "io.kubernetes.pod.terminationGracePeriod"
	AnnotationPodDeletionGrace         = "io.kubernetes.pod.deletionGracePeriod"
)

// sandboxLabels are the pod's labels plus its name, namespace and UID.
func sandboxLabels(pod *corev1.Pod) map[string]string {
	l := maps.Clone(pod.Labels)
	if l == nil {
		l = map[string]string{}
	}
	l[LabelPodName], l[LabelPodNamespace], l[LabelPodUID] = pod.Name, pod.Namespace, string(pod.UID)
	return l
}

// containerLabels name the pod and the container.
func containerLabels(pod *corev1.Pod, c *corev1.Container) map[string]string {
	return map[string]string{
		LabelPodName: pod.Name, LabelPodNamespace: pod.Namespace, LabelPodUID: string(pod.UID),
		LabelContainerName: c.Name,
	}
}

// containerAnnotations are what kubelet records on a container to manage
// it later: its hash, restart count, termination message settings, grace
// periods, preStop hook and ports.
func containerAnnotations(pod *corev1.Pod, c *corev1.Container, restartCount int) map[string]string {
	a := map[string]string{
		AnnotationHash:                     strconv.FormatUint(Hash(c), 16),
		AnnotationRestartCount:             strconv.Itoa(restartCount),
		AnnotationTerminationMessagePath:   c.TerminationMessagePath,
		AnnotationTerminationMessagePolicy: string(c.TerminationMessagePolicy),
	}
	if g := pod.DeletionGracePeriodSeconds; g != nil {
		a[AnnotationPodDeletionGrace] = strconv.FormatInt(*g, 10)
	}
	if g := pod.Spec.TerminationGracePeriodSeconds; g != nil {
		a[AnnotationPodTerminationGrace] = strconv.FormatInt(*g, 10)
	}
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil {
		if b, err := json.Marshal(c.Lifecycle.PreStop); err == nil {
			a[AnnotationPreStop] = string(b)
		}
	}
	if len(c.Ports) > 0 {
		if b, err := json.Marshal(c.Ports); err == nil {
			a[AnnotationPorts] = string(b)
		}
	}
	return a
}

// Hash is the container's spec hash (annotation io.kubernetes.container.hash):
// FNV-32a over the fields that may change in a running pod, the name and
// the image, as kubelet's HashContainer picks them. A changed hash means
// the container must be recreated.
func Hash(c *corev1.Container) uint64 {
	b, _ := json.Marshal(map[string]string{"name": c.Name, "image": c.Image})
	h := fnv.New32a()
	h.Write(b)
	return uint64(h.Sum32())
}

// ContainerInfo is what the labels and annotations of a CRI container
// tell about it.
type ContainerInfo struct {
	PodUID                   types.UID
	PodName, PodNamespace    string
	Name                     string
	Hash                     uint64
	RestartCount             int
	TerminationMessagePath   string
	TerminationMessagePolicy corev1.TerminationMessagePolicy
	TerminationGrace         *int64 // the pod's, when the container was made
	PreStop                  *corev1.LifecycleHandler
}

// ParseContainer reads ContainerInfo back from a container's labels and
// annotations; unparsable values are left zero.
func ParseContainer(labels, annotations map[string]string) ContainerInfo {
	info := ContainerInfo{
		PodUID: types.UID(labels[LabelPodUID]), PodName: labels[LabelPodName], PodNamespace: labels[LabelPodNamespace],
		Name:                     labels[LabelContainerName],
		TerminationMessagePath:   annotations[AnnotationTerminationMessagePath],
		TerminationMessagePolicy: corev1.TerminationMessagePolicy(annotations[AnnotationTerminationMessagePolicy]),
	}
	info.Hash, _ = strconv.ParseUint(annotations[AnnotationHash], 16, 64)
	info.RestartCount, _ = strconv.Atoi(annotations[AnnotationRestartCount])
	if g, err := strconv.ParseInt(annotations[AnnotationPodTerminationGrace], 10, 64); err == nil {
		info.TerminationGrace = &g
	}
	if s := annotations[AnnotationPreStop]; s != "" {
		var h corev1.LifecycleHandler
		if json.Unmarshal([]byte(s), &h) == nil {
			info.PreStop = &h
		}
	}
	return info
}
