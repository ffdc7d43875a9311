// Package service is the strategy of v1 Services, with the status
// subresource, the allocation of cluster IPs and node ports, and the
// repair of their claims.
package service

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiffrt/skiff/controlplane/registry"
)

// Config is the address space services get their addresses from.
type Config struct {
	// CIDR of cluster IPs (kube-apiserver's --service-cluster-ip-range).
	CIDR netip.Prefix
	// NodePorts is the range of node ports, inclusive (30000-32767).
	NodePortMin, NodePortMax int32
}

// DefaultConfig is the default ranges: kube-apiserver's node ports, and
// a /16 of its service range (the DNS service at 10.96.0.10 is in both).
var DefaultConfig = Config{CIDR: netip.MustParsePrefix("10.96.0.0/16"), NodePortMin: 30000, NodePortMax: 32767}

// KubernetesIP is the cluster IP of the kubernetes service: the first
// address of the range.
func (c Config) KubernetesIP() string { return c.CIDR.Masked().Addr().Next().String() }

// DNSIP is the cluster IP of the cluster DNS (kube-system/kube-dns):
// the tenth address of the range, as kubeadm chooses; "" when the range
// has no room for it.
func (c Config) DNSIP() string {
	ip := c.CIDR.Masked().Addr()
	for range 10 {
		ip = ip.Next()
	}
	if !ip.IsValid() || !c.CIDR.Contains(ip) || !c.CIDR.Contains(ip.Next()) {
		return ""
	}
	return ip.String()
}

// Kind describes services; cfg sets the ranges they are allocated from.
func Kind(cfg Config) registry.Kind {
	a := &allocator{cfg: cfg}
	return registry.Kind{
		GroupVersionKind: corev1.SchemeGroupVersion.WithKind("Service"),
		Resource:         "services", Singular: "service", ShortNames: []string{"svc"}, Categories: []string{"all"},
		Namespaced: true,
		Status:     true,
		ValidName:  validation.NameIsDNS1035Label,
		Admit:      a.admit,
		Claims:     claims,
		Strategy:   registry.Typed[*corev1.Service](strategy{}),
	}
}

type strategy struct{}

func (strategy) PrepareForCreate(s *corev1.Service) { s.Status = corev1.ServiceStatus{} }

// PrepareForUpdate keeps the allocated addresses a client leaves out, and
// drops what a type change makes meaningless, as upstream.
func (strategy) PrepareForUpdate(s, old *corev1.Service) {
	sp := &s.Spec
	switch {
	case sp.Type == corev1.ServiceTypeExternalName:
		sp.ClusterIP, sp.ClusterIPs, sp.IPFamilies, sp.IPFamilyPolicy = "", nil, nil, nil
	case sp.ClusterIP == "" && old.Spec.ClusterIP != "":
		sp.ClusterIP, sp.ClusterIPs = old.Spec.ClusterIP, old.Spec.ClusterIPs
	}
	if sp.Type == corev1.ServiceTypeClusterIP || sp.Type == corev1.ServiceTypeExternalName {
		for i := range sp.Ports {
			sp.Ports[i].NodePort = 0
		}
	} else {
		keepNodePorts(s, old)
	}
	switch {
	case !needsHealthCheck(s):
		sp.HealthCheckNodePort = 0
	case sp.HealthCheckNodePort == 0:
		sp.HealthCheckNodePort = old.Spec.HealthCheckNodePort
	}
}

// keepNodePorts gives the ports a client sent without a node port the
// one the same port (number and protocol) had, as upstream.
func keepNodePorts(s, old *corev1.Service) {
	for i := range s.Spec.Ports {
		p := &s.Spec.Ports[i]
		for _, o := range old.Spec.Ports {
			if p.NodePort == 0 && o.Port == p.Port && o.Protocol == p.Protocol {
				p.NodePort = o.NodePort
			}
		}
	}
}

// Default sets upstream's SetDefaults_Service.
func (strategy) Default(s *corev1.Service) {
	sp := &s.Spec
	if sp.Type == "" {
		sp.Type = corev1.ServiceTypeClusterIP
	}
	if sp.SessionAffinity == "" {
		sp.SessionAffinity = corev1.ServiceAffinityNone
	}
	for i := range sp.Ports {
		p := &sp.Ports[i]
		if p.Protocol == "" {
			p.Protocol = corev1.ProtocolTCP
		}
		if p.TargetPort == (intstr.IntOrString{}) {
			p.TargetPort = intstr.FromInt32(p.Port)
		}
	}
	if sp.Type != corev1.ServiceTypeExternalName && sp.InternalTrafficPolicy == nil {
		cluster := corev1.ServiceInternalTrafficPolicyCluster
		sp.InternalTrafficPolicy = &cluster
	}
	if (sp.Type == corev1.ServiceTypeNodePort || sp.Type == corev1.ServiceTypeLoadBalancer) && sp.ExternalTrafficPolicy == "" {
		sp.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	}
	if sp.Type == corev1.ServiceTypeLoadBalancer && sp.AllocateLoadBalancerNodePorts == nil {
		yes := true
		sp.AllocateLoadBalancerNodePorts = &yes
	}
	if sp.ClusterIP != "" && len(sp.ClusterIPs) == 0 {
		sp.ClusterIPs = []string{sp.ClusterIP}
	}
}

var serviceTypes = []string{"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"}

func (strategy) Validate(s *corev1.Service) field.ErrorList {
	spec := field.NewPath("spec")
	var errs field.ErrorList
	switch s.Spec.Type {
	case corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer:
		if len(s.Spec.Ports) == 0 && s.Spec.ClusterIP != corev1.ClusterIPNone {
			errs = append(errs, field.Required(spec.Child("ports"), ""))
		}
	case corev1.ServiceTypeExternalName:
		if s.Spec.ExternalName == "" {
			errs = append(errs, field.Required(spec.Child("externalName"), ""))
		}
	default:
		errs = append(errs, field.NotSupported(spec.Child("type"), s.Spec.Type, serviceTypes))
	}
	if s.Spec.ClusterIP == corev1.ClusterIPNone && s.Spec.Type != corev1.ServiceTypeClusterIP {
		errs = append(errs, field.Invalid(spec.Child("clusterIPs").Index(0), s.Spec.ClusterIP, "may only be set to 'None' for ClusterIP services"))
	}
	errs = append(errs, validatePorts(s, spec.Child("ports"))...)
	if s.Spec.HealthCheckNodePort != 0 && !needsHealthCheck(s) {
		errs = append(errs, field.Invalid(spec.Child("healthCheckNodePort"), s.Spec.HealthCheckNodePort,
			"may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
	}
	errs = append(errs, metav1validation.ValidateLabels(s.Spec.Selector, spec.Child("selector"))...)
	switch s.Spec.SessionAffinity {
	case corev1.ServiceAffinityNone, corev1.ServiceAffinityClientIP:
	default:
		errs = append(errs, field.NotSupported(spec.Child("sessionAffinity"), s.Spec.SessionAffinity, []string{"ClientIP", "None"}))
	}
	return errs
}

func validatePorts(s *corev1.Service, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	names := sets.New[string]()
	type nodePort struct {
		port  int32
		proto corev1.Protocol
	}
	nodePorts := sets.New[nodePort]()
	for i, p := range s.Spec.Ports {
		ip := path.Index(i)
		if len(s.Spec.Ports) > 1 && p.Name == "" {
			errs = append(errs, field.Required(ip.Child("name"), ""))
		} else if p.Name != "" {
			for _, msg := range utilvalidation.IsDNS1123Label(p.Name) {
				errs = append(errs, field.Invalid(ip.Child("name"), p.Name, msg))
			}
			if names.Has(p.Name) {
				errs = append(errs, field.Duplicate(ip.Child("name"), p.Name))
			}
			names.Insert(p.Name)
		}
		for _, msg := range utilvalidation.IsValidPortNum(int(p.Port)) {
			errs = append(errs, field.Invalid(ip.Child("port"), p.Port, msg))
		}
		switch p.Protocol {
		case corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
		default:
			errs = append(errs, field.NotSupported(ip.Child("protocol"), p.Protocol, []string{"SCTP", "TCP", "UDP"}))
		}
		if p.TargetPort.Type == intstr.Int {
			for _, msg := range utilvalidation.IsValidPortNum(p.TargetPort.IntValue()) {
				errs = append(errs, field.Invalid(ip.Child("targetPort"), p.TargetPort.IntVal, msg))
			}
		} else {
			for _, msg := range utilvalidation.IsValidPortName(p.TargetPort.StrVal) {
				errs = append(errs, field.Invalid(ip.Child("targetPort"), p.TargetPort.StrVal, msg))
			}
		}
		if p.NodePort != 0 && s.Spec.Type != corev1.ServiceTypeNodePort && s.Spec.Type != corev1.ServiceTypeLoadBalancer {
			errs = append(errs, field.Forbidden(ip.Child("nodePort"), "may not be used when `type` is 'ClusterIP'"))
		}
		if np := (nodePort{p.NodePort, p.Protocol}); p.NodePort != 0 && nodePorts.Has(np) {
			errs = append(errs, field.Duplicate(ip.Child("nodePort"), p.NodePort))
		} else {
			nodePorts.Insert(np)
		}
	}
	return errs
}

// ValidateUpdate: the cluster IP does not change while the service keeps
// one.
func (strategy) ValidateUpdate(s, old *corev1.Service) field.ErrorList {
	if old.Spec.ClusterIP == "" || s.Spec.Type == corev1.ServiceTypeExternalName || old.Spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	if !apiequality.Semantic.DeepEqual(s.Spec.ClusterIPs, old.Spec.ClusterIPs) || s.Spec.ClusterIP != old.Spec.ClusterIP {
		return field.ErrorList{field.Invalid(field.NewPath("spec", "clusterIPs").Index(0), s.Spec.ClusterIP, "may not change once set")}
	}
	return nil
}

func (strategy) SelectableFields(s *corev1.Service) fields.Set {
	return fields.Set{"spec.clusterIP": s.Spec.ClusterIP, "spec.type": string(s.Spec.Type)}
}
