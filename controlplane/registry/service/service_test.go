package service

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func svc(name string, typ corev1.ServiceType, clusterIP string, nodePorts ...int32) *corev1.Service {
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"},
		Spec: corev1.ServiceSpec{Type: typ, ClusterIP: clusterIP}}
	for i, np := range nodePorts {
		s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: string(rune('a' + i)), Port: 80, NodePort: np})
	}
	if len(nodePorts) == 0 {
		s.Spec.Ports = []corev1.ServicePort{{Port: 80}}
	}
	strategy{}.Default(s)
	return s
}

func TestDefault(t *testing.T) {
	s := &corev1.Service{Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 8080}}}}
	strategy{}.Default(s)
	p := s.Spec.Ports[0]
	if s.Spec.Type != corev1.ServiceTypeClusterIP || s.Spec.SessionAffinity != corev1.ServiceAffinityNone ||
		p.Protocol != corev1.ProtocolTCP || p.TargetPort != intstr.FromInt32(8080) || *s.Spec.InternalTrafficPolicy != "Cluster" {
		t.Fatalf("defaults: %+v", s.Spec)
	}
}

func TestAllocation(t *testing.T) {
	cfg := Config{CIDR: netip.MustParsePrefix("10.0.0.0/29"), NodePortMin: 30000, NodePortMax: 30002}
	existing := []runtime.Object{svc("a", corev1.ServiceTypeNodePort, "10.0.0.2", 30000)}
	list := func(context.Context) ([]runtime.Object, error) { return existing, nil }
	tests := []struct {
		name string
		svc  *corev1.Service
		err  string
		ok   func(*corev1.Service) bool
	}{
		{"allocates a free IP in range", svc("b", corev1.ServiceTypeClusterIP, ""), "", func(s *corev1.Service) bool {
			ip := netip.MustParseAddr(s.Spec.ClusterIP)
			return cfg.CIDR.Contains(ip) && s.Spec.ClusterIP != "10.0.0.2" && s.Spec.ClusterIP != "10.0.0.1" &&
				s.Spec.ClusterIP != "10.0.0.0" && s.Spec.ClusterIP != "10.0.0.7" && s.Spec.IPFamilies[0] == corev1.IPv4Protocol
		}},
		{"allocates free node ports", svc("b", corev1.ServiceTypeNodePort, "", 0, 0), "", func(s *corev1.Service) bool {
			a, b := s.Spec.Ports[0].NodePort, s.Spec.Ports[1].NodePort
			return a != b && a != 30000 && b != 30000 && a >= 30001 && b <= 30002
		}},
		{"taken IP", svc("b", corev1.ServiceTypeClusterIP, "10.0.0.2"), "provided IP is already allocated", nil},
		{"IP out of range", svc("b", corev1.ServiceTypeClusterIP, "10.1.0.2"), "not in the valid range", nil},
		{"taken node port", svc("b", corev1.ServiceTypeNodePort, "", 30000), "provided port is already allocated", nil},
		{"node port out of range", svc("b", corev1.ServiceTypeNodePort, "", 80), "not in the valid range", nil},
		{"headless gets no IP", svc("b", corev1.ServiceTypeClusterIP, "None"), "", func(s *corev1.Service) bool {
			return s.Spec.ClusterIP == "None"
		}},
		{"the same service keeps its ports", svc("a", corev1.ServiceTypeNodePort, "10.0.0.2", 30000), "", func(s *corev1.Service) bool {
			return s.Spec.Ports[0].NodePort == 30000
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := &allocator{cfg: cfg}
			err := a.admit(context.Background(), tc.svc, nil, list)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || !tc.ok(tc.svc) {
				t.Fatalf("err %v, spec %+v", err, tc.svc.Spec)
			}
		})
	}
}

func TestRangeFull(t *testing.T) {
	a := &allocator{cfg: Config{CIDR: netip.MustParsePrefix("10.0.0.0/30"), NodePortMin: 30000, NodePortMax: 30000}}
	list := func(context.Context) ([]runtime.Object, error) {
		return []runtime.Object{svc("a", corev1.ServiceTypeClusterIP, "10.0.0.2")}, nil
	}
	if err := a.admit(context.Background(), svc("b", corev1.ServiceTypeClusterIP, ""), nil, list); err == nil || !strings.Contains(err.Error(), "is full") {
		t.Fatalf("full range: %v", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		svc  *corev1.Service
		path string
	}{
		{"no ports", &corev1.Service{Spec: corev1.ServiceSpec{Type: "ClusterIP"}}, "spec.ports"},
		{"bad type", &corev1.Service{Spec: corev1.ServiceSpec{Type: "Weird", Ports: []corev1.ServicePort{{Port: 1}}}}, "spec.type"},
		{"unnamed ports", &corev1.Service{Spec: corev1.ServiceSpec{Type: "ClusterIP", Ports: []corev1.ServicePort{{Port: 1}, {Port: 2}}}}, "spec.ports[0].name"},
		{"port zero", &corev1.Service{Spec: corev1.ServiceSpec{Type: "ClusterIP", Ports: []corev1.ServicePort{{Port: 0}}}}, "spec.ports[0].port"},
		{"nodePort on ClusterIP", &corev1.Service{Spec: corev1.ServiceSpec{Type: "ClusterIP", Ports: []corev1.ServicePort{{Port: 1, NodePort: 30000}}}}, "spec.ports[0].nodePort"},
	}
	for _, tc := range tests {
		strategy{}.Default(tc.svc)
		errs := strategy{}.Validate(tc.svc)
		if len(errs) == 0 || errs[0].Field != tc.path {
			t.Errorf("%s: %v, want an error on %s", tc.name, errs, tc.path)
		}
	}
	old := svc("a", "ClusterIP", "10.0.0.5")
	changed := old.DeepCopy()
	changed.Spec.ClusterIP, changed.Spec.ClusterIPs = "10.0.0.6", []string{"10.0.0.6"}
	if errs := (strategy{}).ValidateUpdate(changed, old); len(errs) == 0 {
		t.Error("cluster IP changed")
	}
}
