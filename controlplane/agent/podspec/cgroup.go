package podspec

import (
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Cgroup drivers, as the CRI RuntimeConfig reports them.
const (
	CgroupfsDriver = "cgroupfs"
	SystemdDriver  = "systemd"
)

// CgroupParent is the pod's cgroup under root, by QoS class as kubelet
// lays them out: <root>/pod<uid> (Guaranteed), <root>/burstable/pod<uid>,
// <root>/besteffort/pod<uid>. With the systemd driver the same tree is
// spelt as a slice: <root>-burstable-pod<uid>.slice (dashes of the UID
// become underscores).
func CgroupParent(root, driver string, qos corev1.PodQOSClass, uid types.UID) string {
	var class string
	switch qos {
	case corev1.PodQOSBurstable:
		class = "burstable"
	case corev1.PodQOSBestEffort:
		class = "besteffort"
	}
	pod := "pod" + string(uid)
	if driver == SystemdDriver {
		parts := []string{strings.Trim(strings.TrimSuffix(root, ".slice"), "/")}
		if class != "" {
			parts = append(parts, class)
		}
		parts = append(parts, strings.ReplaceAll(pod, "-", "_"))
		return strings.Join(parts, "-") + ".slice"
	}
	return path.Join("/", root, class, pod)
}
