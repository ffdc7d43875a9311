// Package localstorage names skiff's local storage, shared by the volume
// binder (which provisions and binds volumes), the scheduler (which keeps
// a pod on the node of its volumes) and the node agent (which makes the
// directories): a claim of the class StorageClass (or of no class) is
// bound, once its first pod is on a node, to a new hostPath
// PersistentVolume "pvc-<claim uid>" in the node's volume directory,
// with node affinity to that node.
package localstorage

import (
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

const (
	// StorageClass is the class of skiff's local volumes.
	StorageClass = "skiff-local"
	// Provisioner names skiff's local provisioner in the volumes'
	// pv.kubernetes.io/provisioned-by annotation.
	Provisioner = "skiff.io/local"
	// VolumeDirAnnotation on a Node is the directory the node agent keeps
	// local volumes in (its --volume-dir).
	VolumeDirAnnotation = "skiff.io/volume-dir"
	// DefaultVolumeDir is the volume directory of a node that does not
	// say.
	DefaultVolumeDir = "/var/lib/skiff/volumes"
	// ProvisionedByAnnotation is upstream's annotation naming the
	// provisioner of a volume.
	ProvisionedByAnnotation = "pv.kubernetes.io/provisioned-by"
)

// Handles tells whether claims of the class class are skiff's to
// provision: skiff-local, or no class at all (there is no default class
// object to fill it in).
func Handles(class *string) bool {
	return class == nil || *class == "" || *class == StorageClass
}

// VolumeName is the name of the volume provisioned for the claim uid, as
// upstream's provisioners name them.
func VolumeName(claim types.UID) string { return "pvc-" + string(claim) }

// VolumeDir is the volume directory of node.
func VolumeDir(node *corev1.Node) string {
	if d := node.Annotations[VolumeDirAnnotation]; d != "" {
		return d
	}
	return DefaultVolumeDir
}

// Path is where the volume name lives on node.
func Path(node *corev1.Node, name string) string {
	return filepath.Join(VolumeDir(node), name)
}

// IsLocal: v was provisioned by skiff.
func IsLocal(v *corev1.PersistentVolume) bool {
	return v.Annotations[ProvisionedByAnnotation] == Provisioner
}
