package endpoints

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/skiffrt/skiff/controlplane/controller/controllertest"
)

func TestSync(t *testing.T) {
	tests := []struct {
		name   string
		objs   []any
		writes []string
	}{
		{
			name:   "ready and not ready",
			objs:   []any{svc(), pod("b", "10.1.0.2", controllertest.NotReady), pod("a", "10.1.0.1")},
			writes: []string{"create default/web [http:8080] 10.1.0.1 !10.1.0.2"},
		},
		{
			name:   "terminating pods are left out",
			objs:   []any{svc(), pod("a", "10.1.0.1"), pod("b", "10.1.0.2", controllertest.Terminating)},
			writes: []string{"create default/web [http:8080] 10.1.0.1"},
		},
		{
			name: "publishNotReadyAddresses: every pod ready, terminating ones too",
			objs: []any{svc(func(s *corev1.Service) { s.Spec.PublishNotReadyAddresses = true }),
				pod("a", "10.1.0.1", controllertest.NotReady), pod("b", "10.1.0.2", controllertest.Terminating)},
			writes: []string{"create default/web [http:8080] 10.1.0.1 10.1.0.2"},
		},
		{
			name:   "one port name, two numbers: two subsets",
			objs:   []any{svc(), pod("a", "10.1.0.1"), pod("b", "10.1.0.2", controllertest.Port(9090)), pod("c", "10.1.0.3", controllertest.Port(9090), controllertest.NotReady)},
			writes: []string{"create default/web [http:8080] 10.1.0.1 | [http:9090] 10.1.0.2 !10.1.0.3"},
		},
		{
			name: "two ports, one pod lacking one",
			objs: []any{svc(func(s *corev1.Service) {
				s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(5353)},
					corev1.ServicePort{Name: "metrics", Port: 9100, TargetPort: intstr.FromString("metrics")})
			}), pod("a", "10.1.0.1")},
			writes: []string{"create default/web [dns:5353/UDP,http:8080] 10.1.0.1"},
		},
		{
			name:   "no pods: empty Endpoints",
			objs:   []any{svc()},
			writes: []string{"create default/web "},
		},
		{
			name:   "headless without ports",
			objs:   []any{svc(func(s *corev1.Service) { s.Spec.ClusterIP, s.Spec.Ports = corev1.ClusterIPNone, nil }), pod("a", "10.1.0.1")},
			writes: []string{"create default/web [] 10.1.0.1"},
		},
		{
			name:   "up to date",
			objs:   []any{svc(), pod("a", "10.1.0.1"), endpoints(pod("a", "10.1.0.1"))},
			writes: nil,
		},
		{
			name:   "pod deleted",
			objs:   []any{svc(), pod("a", "10.1.0.1"), endpoints(pod("a", "10.1.0.1"), pod("b", "10.1.0.2"))},
			writes: []string{"update default/web [http:8080] 10.1.0.1"},
		},
		{
			name:   "pod not ready any more",
			objs:   []any{svc(), pod("a", "10.1.0.1", controllertest.NotReady), endpoints(pod("a", "10.1.0.1"))},
			writes: []string{"update default/web [http:8080] !10.1.0.1"},
		},
		{
			name: "selector changed",
			objs: []any{svc(func(s *corev1.Service) { s.Spec.Selector = map[string]string{"app": "web2"} }),
				pod("a", "10.1.0.1"), pod("b", "10.1.0.2", func(p *corev1.Pod) { p.Labels = map[string]string{"app": "web2"} }),
				endpoints(pod("a", "10.1.0.1"))},
			writes: []string{"update default/web [http:8080] 10.1.0.2"},
		},
		{
			name: "dual-stack: the first family's IP",
			objs: []any{svc(func(s *corev1.Service) {
				s.Spec.IPFamilies, s.Spec.ClusterIP = []corev1.IPFamily{corev1.IPv6Protocol, corev1.IPv4Protocol}, "fd00:96::20"
			}), pod("a", "10.1.0.1", func(p *corev1.Pod) { p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: "fd00::1"}) }),
				pod("b", "10.1.0.2")},
			writes: []string{"create default/web [http:8080] fd00::1"},
		},
		{
			name:   "no selector: user-managed, left alone",
			objs:   []any{svc(func(s *corev1.Service) { s.Spec.Selector = nil }), pod("a", "10.1.0.1")},
			writes: nil,
		},
		{
			name:   "Endpoints of no Service are not this controller's",
			objs:   []any{endpoints(pod("a", "10.1.0.1"))},
			writes: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, a, ev := newTest(t, tt.objs...)
			if err := c.sync(context.Background(), ns+"/web"); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(a.writes, tt.writes) {
				t.Errorf("writes:\n got %q\nwant %q", a.writes, tt.writes)
			}
			if len(ev.Events()) > 0 {
				t.Errorf("events: %q", ev.Events())
			}
		})
	}
}

func TestSyncDeletesWithService(t *testing.T) {
	c, a, _ := newTest(t, endpoints(pod("a", "10.1.0.1")))
	c.serviceDeleted(ns + "/web")
	if err := c.sync(context.Background(), ns+"/web"); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.writes, []string{"delete default/web"}) {
		t.Fatalf("writes %q", a.writes)
	}
}

func TestEndpointsMeta(t *testing.T) {
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	readyAt := created.Add(time.Minute)
	s := svc(func(s *corev1.Service) {
		s.CreationTimestamp = metav1.NewTime(created)
		s.Spec.ClusterIP = corev1.ClusterIPNone
	})
	p := pod("a", "10.1.0.1", func(p *corev1.Pod) {
		p.Status.Conditions[0].LastTransitionTime = metav1.NewTime(readyAt)
		p.Spec.Hostname, p.Spec.Subdomain = "a", "web"
	})
	e := desired(s, []*corev1.Pod{p}, nil)
	if got := e.Annotations[corev1.EndpointsLastChangeTriggerTime]; got != "2026-01-01T00:01:00Z" {
		t.Errorf("trigger time %q", got)
	}
	if got := fmt.Sprint(e.Labels); got != "map[service.kubernetes.io/headless: tier:front]" {
		t.Errorf("labels %s", got)
	}
	a := e.Subsets[0].Addresses[0]
	if a.Hostname != "a" || a.NodeName == nil || *a.NodeName != "n1" || a.TargetRef.Kind != "Pod" || a.TargetRef.Name != "a" || a.TargetRef.UID != "a-uid" {
		t.Errorf("address %+v", a)
	}
	if len(e.OwnerReferences) != 0 {
		t.Errorf("owner references %v", e.OwnerReferences)
	}
}

func TestTruncate(t *testing.T) {
	var pods []*corev1.Pod
	for i := range 1100 {
		var mods []func(*corev1.Pod)
		if i%2 == 1 {
			mods = append(mods, controllertest.NotReady)
		}
		pods = append(pods, pod(fmt.Sprintf("p%d", i), fmt.Sprintf("10.1.%d.%d", i/250, i%250+1), mods...))
	}
	e := desired(svc(), pods, nil)
	ss := e.Subsets[0]
	if len(ss.Addresses) != 550 || len(ss.NotReadyAddresses) != 450 || e.Annotations[overCapacity] != "truncated" {
		t.Fatalf("%d ready, %d not ready, annotations %v", len(ss.Addresses), len(ss.NotReadyAddresses), e.Annotations)
	}
	if desired(svc(), pods, e) != nil {
		t.Fatal("truncated Endpoints rewritten")
	}
}

func TestSyncFailureIsAnEvent(t *testing.T) {
	c, a, ev := newTest(t, svc(), pod("a", "10.1.0.1"), endpoints())
	a.fail = errors.New("etcd down")
	if err := c.sync(context.Background(), ns+"/web"); err == nil {
		t.Fatal("sync succeeded")
	}
	want := "Warning FailedToUpdateEndpoint Failed to update endpoint default/web: etcd down"
	if !slices.Equal(ev.Events(), []string{want}) {
		t.Fatalf("events: %q", ev.Events())
	}
}
