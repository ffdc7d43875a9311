package env

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Pod is a pod as the downward API sees it: the object plus the IPs the
// runtime gave it and the node's.
type Pod struct {
	*corev1.Pod
	PodIPs, HostIPs []string
	// Allocatable is the node's, the value of an unset limit.
	Allocatable corev1.ResourceList
}

// FieldValue is the value of a fieldRef path: metadata.name, .namespace,
// .uid, .labels['k'], .annotations['k'] (and the whole labels or
// annotations, one k="v" line each, for volumes), spec.nodeName,
// spec.serviceAccountName, status.hostIP(s), status.podIP(s).
func FieldValue(p Pod, path string) (string, error) {
	if k, ok := subscript(path, "metadata.labels"); ok {
		return p.Labels[k], nil
	}
	if k, ok := subscript(path, "metadata.annotations"); ok {
		return p.Annotations[k], nil
	}
	switch path {
	case "metadata.name":
		return p.Name, nil
	case "metadata.namespace":
		return p.Namespace, nil
	case "metadata.uid":
		return string(p.UID), nil
	case "metadata.labels":
		return formatMap(p.Labels), nil
	case "metadata.annotations":
		return formatMap(p.Annotations), nil
	case "spec.nodeName":
		return p.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return p.Spec.ServiceAccountName, nil
	case "status.hostIP":
		return first(p.HostIPs), nil
	case "status.hostIPs":
		return strings.Join(p.HostIPs, ","), nil
	case "status.podIP":
		return first(p.PodIPs), nil
	case "status.podIPs":
		return strings.Join(p.PodIPs, ","), nil
	}
	return "", fmt.Errorf("unsupported fieldPath: %s", path)
}

// subscript parses prefix['key'].
func subscript(path, prefix string) (string, bool) {
	rest, ok := strings.CutPrefix(path, prefix+"['")
	if !ok || !strings.HasSuffix(rest, "']") {
		return "", false
	}
	return strings.TrimSuffix(rest, "']"), true
}

// formatMap prints a map as sorted k="v" lines, values quoted as Go
// strings, as the downward API writes labels and annotations.
func formatMap(m map[string]string) string {
	var b strings.Builder
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s=%s", k, strconv.Quote(m[k]))
	}
	return b.String()
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
