package volume

import (
	"context"
	"errors"
	"fmt"
	"os"

	corev1 "k8s.io/api/core/v1"

	"github.com/skiffrt/skiff/controlplane/localstorage"
)

// claimVolume is the volume a PersistentVolumeClaim is bound to: a
// hostPath volume (skiff's local volumes are; their directory is made
// open to every user, as an emptyDir) or a local one. A claim not bound
// yet is an error, so that the pod waits.
func claimVolume(ctx context.Context, src Sources, ns string, ref *corev1.PersistentVolumeClaimVolumeSource) (Volume, error) {
	claim, err := src.Claim(ctx, ns, ref.ClaimName)
	if err != nil {
		return Volume{}, err
	}
	if claim.Spec.VolumeName == "" || claim.Status.Phase != corev1.ClaimBound {
		return Volume{}, fmt.Errorf("persistentvolumeclaim %q is not bound", ref.ClaimName)
	}
	pv, err := src.Volume(ctx, claim.Spec.VolumeName)
	if err != nil {
		return Volume{}, err
	}
	if r := pv.Spec.ClaimRef; r == nil || r.UID != claim.UID {
		return Volume{}, fmt.Errorf("persistentvolume %q is not bound to claim %q", pv.Name, ref.ClaimName)
	}
	var vol Volume
	switch {
	case pv.Spec.HostPath != nil:
		_, statErr := os.Stat(pv.Spec.HostPath.Path)
		if vol, err = hostPath(pv.Spec.HostPath); err != nil {
			return Volume{}, err
		}
		if errors.Is(statErr, os.ErrNotExist) && localstorage.IsLocal(pv) {
			if err := os.Chmod(vol.Path, 0o777); err != nil {
				return Volume{}, err
			}
		}
	case pv.Spec.Local != nil:
		if _, err := os.Stat(pv.Spec.Local.Path); err != nil {
			return Volume{}, err
		}
		vol = Volume{Path: pv.Spec.Local.Path}
	default:
		return Volume{}, fmt.Errorf("persistentvolume %q: unsupported volume type (hostPath and local are)", pv.Name)
	}
	vol.ReadOnly = ref.ReadOnly
	return vol, nil
}
