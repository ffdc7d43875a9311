package noderestriction

import (
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/skiffrt/skiff/controlplane/registry"
)

// kubeletLabels are the kubernetes.io labels a node may set on itself;
// kubeletLabelDomains the label domains it owns.
var (
	kubeletLabels = sets.New(
		corev1.LabelHostname, corev1.LabelOSStable, corev1.LabelArchStable,
		corev1.LabelInstanceType, corev1.LabelInstanceTypeStable,
		corev1.LabelFailureDomainBetaZone, corev1.LabelFailureDomainBetaRegion,
		corev1.LabelTopologyZone, corev1.LabelTopologyRegion,
		"beta.kubernetes.io/os", "beta.kubernetes.io/arch",
	)
	kubeletLabelDomains = []string{"kubelet.kubernetes.io", "node.kubernetes.io"}
)

func admitNode(node string, a registry.AdmissionAttributes) error {
	if a.Name != node {
		return forbidden(a, "node %q is not allowed to modify node %q", node, a.Name)
	}
	n, ok := a.Object.(*corev1.Node)
	switch {
	case a.Operation == registry.OpDelete:
		return forbidden(a, "node %q is not allowed to delete itself", node)
	case !ok:
		return forbidden(a, "unexpected type %T", a.Object)
	case a.Operation == registry.OpCreate:
		if n.Spec.ConfigSource != nil {
			return forbidden(a, "node %q may not register with a configSource", node)
		}
		if bad := forbiddenLabels(n.Labels, nil); len(bad) > 0 {
			return forbidden(a, "node %q is not allowed to set the following labels: %s", node, strings.Join(bad, ", "))
		}
		return nil
	}
	old := a.Old.(*corev1.Node)
	if n.Spec.ConfigSource != nil && !apiequality.Semantic.DeepEqual(n.Spec.ConfigSource, old.Spec.ConfigSource) {
		return forbidden(a, "node %q is not allowed to update configSource to a new non-nil configSource", node)
	}
	if !apiequality.Semantic.DeepEqual(n.Spec.Taints, old.Spec.Taints) {
		return forbidden(a, "node %q is not allowed to modify taints", node)
	}
	if bad := forbiddenLabels(n.Labels, old.Labels); len(bad) > 0 {
		return forbidden(a, "is not allowed to modify labels: %s", strings.Join(bad, ", "))
	}
	return nil
}

// forbiddenLabels are the labels that differ between cur and old that a
// node may not set: node-restriction.kubernetes.io ones, and the
// kubernetes.io and k8s.io ones outside the kubelet's.
func forbiddenLabels(cur, old map[string]string) []string {
	var bad []string
	for _, k := range changedKeys(cur, old) {
		domain, _, _ := strings.Cut(k, "/")
		if !strings.Contains(k, "/") {
			domain = ""
		}
		switch {
		case inDomain(domain, corev1.LabelNamespaceNodeRestriction):
			bad = append(bad, k)
		case (inDomain(domain, "kubernetes.io") || inDomain(domain, "k8s.io")) && !kubeletLabel(k, domain):
			bad = append(bad, k)
		}
	}
	sort.Strings(bad)
	return bad
}

func kubeletLabel(key, domain string) bool {
	if kubeletLabels.Has(key) {
		return true
	}
	for _, d := range kubeletLabelDomains {
		if inDomain(domain, d) {
			return true
		}
	}
	return false
}

// inDomain reports whether domain is d or a subdomain of it.
func inDomain(domain, d string) bool {
	return domain == d || strings.HasSuffix(domain, "."+d)
}

// changedKeys are the keys added, removed or changed from old to cur.
func changedKeys(cur, old map[string]string) []string {
	var keys []string
	for k, v := range cur {
		if ov, ok := old[k]; !ok || ov != v {
			keys = append(keys, k)
		}
	}
	for k := range old {
		if _, ok := cur[k]; !ok {
			keys = append(keys, k)
		}
	}
	return keys
}
