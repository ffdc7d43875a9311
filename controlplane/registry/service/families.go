package service

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var (
	familyPolicyPath = field.NewPath("spec", "ipFamilyPolicy")
	familiesPath     = field.NewPath("spec", "ipFamilies")
)

// family is the cluster's IP family: the family of its service range
// (skiff's clusters are single-stack).
func (a *allocator) family() corev1.IPFamily {
	if a.cfg.CIDR.Addr().Is6() {
		return corev1.IPv6Protocol
	}
	return corev1.IPv4Protocol
}

// families sets ipFamilyPolicy and ipFamilies as kube-apiserver does on
// a single-stack cluster, and refuses what it cannot serve:
//
//   - the policy defaults to the old one on an update, to
//     RequireDualStack for a headless service without selector (which
//     lists both families: it only names endpoints), and to SingleStack;
//   - the families follow the requested cluster IPs, then the cluster's;
//   - RequireDualStack, two cluster IPs, or a family other than the
//     cluster's are refused (headless services without selector aside).
func (a *allocator) families(s, old *corev1.Service) field.ErrorList {
	sp := &s.Spec
	if sp.Type == corev1.ServiceTypeExternalName {
		sp.IPFamilyPolicy, sp.IPFamilies = nil, nil
		return nil
	}
	headlessNoSelector := sp.ClusterIP == corev1.ClusterIPNone && len(sp.Selector) == 0
	if sp.IPFamilyPolicy == nil {
		policy := corev1.IPFamilyPolicySingleStack
		switch {
		case old != nil && old.Spec.IPFamilyPolicy != nil:
			policy = *old.Spec.IPFamilyPolicy
		case headlessNoSelector:
			policy = corev1.IPFamilyPolicyRequireDualStack
		}
		sp.IPFamilyPolicy = &policy
	}
	if errs := checkPolicy(s); len(errs) > 0 {
		return errs
	}
	for i, ip := range sp.ClusterIPs {
		addr, err := netip.ParseAddr(ip)
		if err != nil || i < len(sp.IPFamilies) {
			continue
		}
		if f := familyOf(addr); f != a.family() {
			return field.ErrorList{field.Invalid(field.NewPath("spec", "clusterIPs").Index(i), ip, string(f)+" is not configured on this cluster")}
		}
		sp.IPFamilies = append(sp.IPFamilies, a.family())
	}
	if len(sp.IPFamilies) == 0 {
		sp.IPFamilies = []corev1.IPFamily{a.family()}
	}
	if headlessNoSelector {
		if len(sp.IPFamilies) == 1 && *sp.IPFamilyPolicy != corev1.IPFamilyPolicySingleStack {
			sp.IPFamilies = append(sp.IPFamilies, otherFamily(sp.IPFamilies[0]))
		}
		return nil
	}
	var errs field.ErrorList
	if *sp.IPFamilyPolicy == corev1.IPFamilyPolicyRequireDualStack {
		errs = append(errs, field.Invalid(familyPolicyPath, *sp.IPFamilyPolicy, "this cluster is not configured for dual-stack services"))
	}
	for i, f := range sp.IPFamilies {
		if f != a.family() {
			errs = append(errs, field.Invalid(familiesPath.Index(i), f, "not configured on this cluster"))
		}
	}
	return errs
}

// checkPolicy refuses a single-stack policy with two addresses or
// families, and an unknown policy or family.
func checkPolicy(s *corev1.Service) field.ErrorList {
	sp := &s.Spec
	var errs field.ErrorList
	switch *sp.IPFamilyPolicy {
	case corev1.IPFamilyPolicySingleStack:
		if len(sp.ClusterIPs) > 1 {
			errs = append(errs, field.Invalid(familyPolicyPath, *sp.IPFamilyPolicy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"))
		}
		if len(sp.IPFamilies) > 1 {
			errs = append(errs, field.Invalid(familyPolicyPath, *sp.IPFamilyPolicy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"))
		}
	case corev1.IPFamilyPolicyPreferDualStack, corev1.IPFamilyPolicyRequireDualStack:
	default:
		errs = append(errs, field.NotSupported(familyPolicyPath, *sp.IPFamilyPolicy, []string{"PreferDualStack", "RequireDualStack", "SingleStack"}))
	}
	for i, f := range sp.IPFamilies {
		if f != corev1.IPv4Protocol && f != corev1.IPv6Protocol {
			errs = append(errs, field.NotSupported(familiesPath.Index(i), f, []string{"IPv4", "IPv6"}))
		}
	}
	if len(sp.IPFamilies) == 2 && sp.IPFamilies[0] == sp.IPFamilies[1] {
		errs = append(errs, field.Duplicate(familiesPath.Index(1), sp.IPFamilies[1]))
	}
	if len(sp.IPFamilies) > 2 {
		errs = append(errs, field.TooMany(familiesPath, len(sp.IPFamilies), 2))
	}
	return errs
}

func familyOf(ip netip.Addr) corev1.IPFamily {
	if ip.Is4() || ip.Is4In6() {
		return corev1.IPv4Protocol
	}
	return corev1.IPv6Protocol
}

func otherFamily(f corev1.IPFamily) corev1.IPFamily {
	if f == corev1.IPv4Protocol {
		return corev1.IPv6Protocol
	}
	return corev1.IPv4Protocol
}
