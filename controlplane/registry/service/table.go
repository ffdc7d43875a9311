package service

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiffrt/skiff/controlplane/registry"
)

func (strategy) Columns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		registry.NameColumn(),
		registry.Column("Type", "string", "The type of the service.", 0),
		registry.Column("Cluster-IP", "string", "IP address assigned to the service.", 0),
		registry.Column("External-IP", "string", "External IPs of the service.", 0),
		registry.Column("Port(s)", "string", "The ports exposed by the service.", 0),
		registry.AgeColumn(),
		registry.Column("Selector", "string", "Route service traffic to pods with label keys and values matching this selector.", 1),
	}
}

func (strategy) Row(s *corev1.Service) []any {
	clusterIP := s.Spec.ClusterIP
	if clusterIP == "" {
		clusterIP = "<none>"
	}
	return []any{s.Name, string(s.Spec.Type), clusterIP, externalIP(s), ports(s.Spec.Ports), registry.Age(s), registry.MapSelector(s.Spec.Selector)}
}

func externalIP(s *corev1.Service) string {
	switch s.Spec.Type {
	case corev1.ServiceTypeExternalName:
		return s.Spec.ExternalName
	case corev1.ServiceTypeLoadBalancer:
		var ips []string
		for _, in := range s.Status.LoadBalancer.Ingress {
			if in.IP != "" {
				ips = append(ips, in.IP)
			} else if in.Hostname != "" {
				ips = append(ips, in.Hostname)
			}
		}
		ips = append(ips, s.Spec.ExternalIPs...)
		if len(ips) == 0 {
			return "<pending>"
		}
		return strings.Join(ips, ",")
	}
	if len(s.Spec.ExternalIPs) > 0 {
		return strings.Join(s.Spec.ExternalIPs, ",")
	}
	return "<none>"
}

func ports(ps []corev1.ServicePort) string {
	if len(ps) == 0 {
		return "<none>"
	}
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		if p.NodePort != 0 {
			out = append(out, fmt.Sprintf("%d:%d/%s", p.Port, p.NodePort, p.Protocol))
		} else {
			out = append(out, fmt.Sprintf("%d/%s", p.Port, p.Protocol))
		}
	}
	return strings.Join(out, ",")
}
