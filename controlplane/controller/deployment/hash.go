package deployment

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/dump"
)

// templateHash is the pod-template-hash of a template, as upstream's
// ComputeHash: FNV-32a over the template as go-spew prints it for hashing,
// then the collision count (little-endian, in 8 bytes) when there is one,
// the number written with the alphabet of generated names. The same
// template and count give the same hash, hence the same ReplicaSet name.
func templateHash(template *corev1.PodTemplateSpec, collisionCount *int32) string {
	h := fnv.New32a()
	fmt.Fprintf(h, "%v", dump.ForHash(*template))
	if collisionCount != nil {
		b := make([]byte, 8)
		binary.LittleEndian.PutUint32(b, uint32(*collisionCount))
		h.Write(b)
	}
	return rand.SafeEncodeString(fmt.Sprint(h.Sum32()))
}

// replicaSetName is "<deployment>-<hash>", the deployment's name cut so
// that the whole stays a valid name.
func replicaSetName(deployment, hash string) string {
	if limit := validation.DNS1123SubdomainMaxLength - 1 - len(hash); len(deployment) > limit {
		deployment = deployment[:limit]
	}
	return deployment + "-" + hash
}
