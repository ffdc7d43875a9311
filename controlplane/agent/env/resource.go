package env

import (
	"fmt"
	"math"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// ResourceValue is the value of a resourceFieldRef of container c, in
// units of its divisor rounded up: limits.cpu, limits.memory,
// limits.ephemeral-storage and the same requests. An unset limit is the
// node's allocatable, as kubelet reports it.
func ResourceValue(p Pod, c *corev1.Container, ref *corev1.ResourceFieldSelector) (string, error) {
	var name corev1.ResourceName
	var q resource.Quantity
	var ok bool
	switch ref.Resource {
	case "limits.cpu", "limits.memory", "limits.ephemeral-storage":
		name = corev1.ResourceName(ref.Resource[len("limits."):])
		if q, ok = c.Resources.Limits[name]; !ok {
			q = p.Allocatable[name]
		}
	case "requests.cpu", "requests.memory", "requests.ephemeral-storage":
		name = corev1.ResourceName(ref.Resource[len("requests."):])
		q = c.Resources.Requests[name]
	default:
		return "", fmt.Errorf("unsupported container resource: %v", ref.Resource)
	}
	divisor := ref.Divisor
	if divisor.IsZero() {
		divisor = resource.MustParse("1")
	}
	if name == corev1.ResourceCPU {
		v := math.Ceil(float64(q.MilliValue()) / float64(divisor.MilliValue()))
		return strconv.FormatInt(int64(v), 10), nil
	}
	v := math.Ceil(float64(q.Value()) / float64(divisor.Value()))
	return strconv.FormatInt(int64(v), 10), nil
}
