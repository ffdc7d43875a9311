package service

import (
	"context"
	"net/netip"
	"slices"
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

// claimedBy is a ClaimedFunc over the addresses held by svcs.
func claimedBy(svcs ...*corev1.Service) func(context.Context, string) (map[string]bool, error) {
	return func(_ context.Context, prefix string) (map[string]bool, error) {
		out := map[string]bool{}
		for _, s := range svcs {
			for _, k := range claims(s) {
				if strings.HasPrefix(k, prefix) {
					out[k] = true
				}
			}
		}
		return out, nil
	}
}

func TestAllocation(t *testing.T) {
	cfg := Config{CIDR: netip.MustParsePrefix("10.0.0.0/29"), NodePortMin: 30000, NodePortMax: 30002}
	claimed := claimedBy(svc("a", corev1.ServiceTypeNodePort, "10.0.0.2", 30000))
	withUDP := func(s *corev1.Service) *corev1.Service {
		s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: "u", Port: 80, Protocol: corev1.ProtocolUDP, NodePort: s.Spec.Ports[0].NodePort})
		return s
	}
	tests := []struct {
		name     string
		svc, old *corev1.Service
		err      string
		ok       func(*corev1.Service) bool
	}{
		{"allocates a free IP in range", svc("b", corev1.ServiceTypeClusterIP, ""), nil, "", func(s *corev1.Service) bool {
			ip := netip.MustParseAddr(s.Spec.ClusterIP)
			return cfg.CIDR.Contains(ip) && s.Spec.ClusterIP != "10.0.0.2" && s.Spec.ClusterIP != "10.0.0.1" &&
				s.Spec.ClusterIP != "10.0.0.0" && s.Spec.ClusterIP != "10.0.0.7" && s.Spec.ClusterIPs[0] == s.Spec.ClusterIP
		}},
		{"allocates free node ports", svc("b", corev1.ServiceTypeNodePort, "", 0, 0), nil, "", func(s *corev1.Service) bool {
			a, b := s.Spec.Ports[0].NodePort, s.Spec.Ports[1].NodePort
			return a != b && a != 30000 && b != 30000 && a >= 30001 && b <= 30002
		}},
		{"one node port for TCP and UDP of one service", withUDP(svc("b", corev1.ServiceTypeNodePort, "", 30001)), nil, "", func(s *corev1.Service) bool {
			return s.Spec.Ports[1].NodePort == 30001
		}},
		{"the kubernetes service's first address", svc("kubernetes", corev1.ServiceTypeClusterIP, "10.0.0.1"), nil, "", func(s *corev1.Service) bool {
			return s.Spec.ClusterIPs[0] == "10.0.0.1"
		}},
		{"taken IP", svc("b", corev1.ServiceTypeClusterIP, "10.0.0.2"), nil, "provided IP is already allocated", nil},
		{"IP out of range", svc("b", corev1.ServiceTypeClusterIP, "10.1.0.2"), nil, "not in the valid range", nil},
		{"IP of another family", svc("b", corev1.ServiceTypeClusterIP, "fd00::2"), nil, "IPv6 is not configured on this cluster", nil},
		{"taken node port", svc("b", corev1.ServiceTypeNodePort, "", 30000), nil, "provided port is already allocated", nil},
		{"node port out of range", svc("b", corev1.ServiceTypeNodePort, "", 80), nil, "not in the valid range", nil},
		{"headless gets no IP", svc("b", corev1.ServiceTypeClusterIP, "None"), nil, "", func(s *corev1.Service) bool {
			return s.Spec.ClusterIP == "None"
		}},
		{"an update keeps what the service holds", svc("a", corev1.ServiceTypeNodePort, "10.0.0.2", 30000),
			svc("a", corev1.ServiceTypeNodePort, "10.0.0.2", 30000), "", func(s *corev1.Service) bool {
				return s.Spec.Ports[0].NodePort == 30000 && s.Spec.ClusterIP == "10.0.0.2"
			}},
		{"health check node port", lbLocal(svc("b", corev1.ServiceTypeLoadBalancer, "", 0)), nil, "", func(s *corev1.Service) bool {
			return s.Spec.HealthCheckNodePort != 0 && s.Spec.HealthCheckNodePort != s.Spec.Ports[0].NodePort && s.Spec.HealthCheckNodePort != 30000
		}},
		{"node ports run out", svc("b", corev1.ServiceTypeNodePort, "", 0, 0, 0), nil, "range 30000-30002 is full", nil},
		{"LoadBalancer gets node ports", svc("b", corev1.ServiceTypeLoadBalancer, "", 0, 0), nil, "", func(s *corev1.Service) bool {
			a, b := s.Spec.Ports[0].NodePort, s.Spec.Ports[1].NodePort
			return a != b && a >= 30001 && b >= 30001 && s.Spec.HealthCheckNodePort == 0
		}},
		{"allocateLoadBalancerNodePorts false", noNodePorts(svc("b", corev1.ServiceTypeLoadBalancer, "", 0, 0)), nil, "", func(s *corev1.Service) bool {
			return s.Spec.Ports[0].NodePort == 0 && s.Spec.Ports[1].NodePort == 0
		}},
		{"allocateLoadBalancerNodePorts false keeps a requested node port", noNodePorts(svc("b", corev1.ServiceTypeLoadBalancer, "", 30002, 0)), nil, "", func(s *corev1.Service) bool {
			return s.Spec.Ports[0].NodePort == 30002 && s.Spec.Ports[1].NodePort == 0
		}},
		{"allocateLoadBalancerNodePorts false checks a requested node port", noNodePorts(svc("b", corev1.ServiceTypeLoadBalancer, "", 30000)), nil, "provided port is already allocated", nil},
		{"allocateLoadBalancerNodePorts false, policy Local: a health check node port all the same",
			lbLocal(noNodePorts(svc("b", corev1.ServiceTypeLoadBalancer, "", 0))), nil, "", func(s *corev1.Service) bool {
				return s.Spec.Ports[0].NodePort == 0 && s.Spec.HealthCheckNodePort >= 30001
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := &allocator{cfg: cfg}
			var old runtime.Object
			if tc.old != nil {
				old = tc.old
			}
			err := a.admit(context.Background(), tc.svc, old, claimed)
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

func noNodePorts(s *corev1.Service) *corev1.Service {
	no := false
	s.Spec.AllocateLoadBalancerNodePorts = &no
	return s
}

func lbLocal(s *corev1.Service) *corev1.Service {
	s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	return s
}

func TestRangeFull(t *testing.T) {
	a := &allocator{cfg: Config{CIDR: netip.MustParsePrefix("10.0.0.0/30"), NodePortMin: 30000, NodePortMax: 30000}}
	claimed := claimedBy(svc("a", corev1.ServiceTypeClusterIP, "10.0.0.2"))
	if err := a.admit(context.Background(), svc("b", corev1.ServiceTypeClusterIP, ""), nil, claimed); err == nil || !strings.Contains(err.Error(), "is full") {
		t.Fatalf("full range: %v", err)
	}
}

func TestFamilies(t *testing.T) {
	v4 := &allocator{cfg: Config{CIDR: netip.MustParsePrefix("10.96.0.0/16")}}
	policy := func(p corev1.IPFamilyPolicy) *corev1.IPFamilyPolicy { return &p }
	headless := func(selector bool) *corev1.Service {
		s := svc("h", corev1.ServiceTypeClusterIP, "None")
		if selector {
			s.Spec.Selector = map[string]string{"app": "h"}
		}
		return s
	}
	tests := []struct {
		name     string
		svc, old *corev1.Service
		policy   corev1.IPFamilyPolicy
		families []corev1.IPFamily
		err      string
	}{
		{"defaults", svc("a", "ClusterIP", ""), nil, "SingleStack", []corev1.IPFamily{"IPv4"}, ""},
		{"headless with selector", headless(true), nil, "SingleStack", []corev1.IPFamily{"IPv4"}, ""},
		{"headless without selector lists both", headless(false), nil, "RequireDualStack", []corev1.IPFamily{"IPv4", "IPv6"}, ""},
		{"PreferDualStack gets one", func() *corev1.Service {
			s := svc("a", "ClusterIP", "")
			s.Spec.IPFamilyPolicy = policy(corev1.IPFamilyPolicyPreferDualStack)
			return s
		}(), nil, "PreferDualStack", []corev1.IPFamily{"IPv4"}, ""},
		{"an update keeps the policy", svc("a", "ClusterIP", "10.96.0.5"), func() *corev1.Service {
			s := svc("a", "ClusterIP", "10.96.0.5")
			s.Spec.IPFamilyPolicy = policy(corev1.IPFamilyPolicyPreferDualStack)
			return s
		}(), "PreferDualStack", []corev1.IPFamily{"IPv4"}, ""},
		{"RequireDualStack", func() *corev1.Service {
			s := svc("a", "ClusterIP", "")
			s.Spec.IPFamilyPolicy = policy(corev1.IPFamilyPolicyRequireDualStack)
			return s
		}(), nil, "", nil, "this cluster is not configured for dual-stack services"},
		{"IPv6 family", func() *corev1.Service {
			s := svc("a", "ClusterIP", "")
			s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv6Protocol}
			return s
		}(), nil, "", nil, "spec.ipFamilies[0]: Invalid value: \"IPv6\": not configured on this cluster"},
		{"two families single stack", func() *corev1.Service {
			s := svc("a", "ClusterIP", "")
			s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}
			return s
		}(), nil, "", nil, "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := v4.families(tc.svc, tc.old)
			if tc.err != "" {
				if !strings.Contains(errs.ToAggregate().Error(), tc.err) {
					t.Fatalf("errors %v, want %q", errs, tc.err)
				}
				return
			}
			if len(errs) > 0 || *tc.svc.Spec.IPFamilyPolicy != tc.policy || !slices.Equal(tc.svc.Spec.IPFamilies, tc.families) {
				t.Fatalf("errors %v, policy %v, families %v", errs, *tc.svc.Spec.IPFamilyPolicy, tc.svc.Spec.IPFamilies)
			}
		})
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

func TestDNSIP(t *testing.T) {
	for _, tt := range []struct{ cidr, want string }{
		{"10.96.0.0/16", "10.96.0.10"},
		{"10.0.0.0/24", "10.0.0.10"},
		{"fd00:10:96::/112", "fd00:10:96::a"},
		{"10.0.0.0/29", ""},
	} {
		c := Config{CIDR: netip.MustParsePrefix(tt.cidr)}
		if got := c.DNSIP(); got != tt.want {
			t.Errorf("DNSIP of %s = %q, want %q", tt.cidr, got, tt.want)
		}
	}
}
