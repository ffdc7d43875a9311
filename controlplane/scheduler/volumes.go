package scheduler

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	corelisters "k8s.io/client-go/listers/core/v1"

	"github.com/skiffrt/skiff/controlplane/scheduler/algorithm"
)

// reasonVolumeNode is upstream's reason for a node a volume of the pod
// cannot be reached from.
const reasonVolumeNode = "node(s) had volume node affinity conflict"

// volumeListers read the claims and volumes of the pods (nil: the
// scheduler ignores volumes).
type volumeListers struct {
	claims  corelisters.PersistentVolumeClaimLister
	volumes corelisters.PersistentVolumeLister
}

// volumeNodes keeps the nodes where the pod's claims can be used: a
// claim that does not exist keeps the pod off every node, and the node
// affinity of a bound claim's volume (a local volume lives on one node)
// keeps only the nodes it allows. An unbound claim allows every node: it
// is bound where the pod lands (WaitForFirstConsumer).
func (l volumeListers) volumeNodes(pod *corev1.Pod, nodes []*algorithm.NodeInfo) ([]*algorithm.NodeInfo, error) {
	if l.claims == nil {
		return nodes, nil
	}
	refuse := func(reason string) error {
		return &algorithm.FitError{NumNodes: len(nodes), Reasons: map[string]int{reason: len(nodes)}}
	}
	var required []*corev1.NodeSelector
	for _, v := range pod.Spec.Volumes {
		if v.PersistentVolumeClaim == nil {
			continue
		}
		name := v.PersistentVolumeClaim.ClaimName
		claim, err := l.claims.PersistentVolumeClaims(pod.Namespace).Get(name)
		if apierrors.IsNotFound(err) {
			return nil, refuse(fmt.Sprintf("persistentvolumeclaim %q not found", name))
		}
		if err != nil {
			return nil, err
		}
		if claim.DeletionTimestamp != nil {
			return nil, refuse(fmt.Sprintf("persistentvolumeclaim %q is being deleted", name))
		}
		if claim.Spec.VolumeName == "" {
			continue
		}
		pv, err := l.volumes.Get(claim.Spec.VolumeName)
		if apierrors.IsNotFound(err) {
			return nil, refuse("pvc(s) bound to non-existent pv(s)")
		}
		if err != nil {
			return nil, err
		}
		if a := pv.Spec.NodeAffinity; a != nil && a.Required != nil {
			required = append(required, a.Required)
		}
	}
	if len(required) == 0 {
		return nodes, nil
	}
	var kept []*algorithm.NodeInfo
	for _, n := range nodes {
		ok := true
		for _, sel := range required {
			ok = ok && algorithm.MatchesNodeSelector(sel, n.Node)
		}
		if ok {
			kept = append(kept, n)
		}
	}
	if len(kept) == 0 {
		return nil, refuse(reasonVolumeNode)
	}
	return kept, nil
}
