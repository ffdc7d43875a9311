package endpointslice

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/skiffrt/skiff/controlplane/controller/controllertest"
)

const v4, v6 = discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6

func TestSync(t *testing.T) {
	tests := []struct {
		name   string
		objs   []any
		writes []string // sorted
	}{
		{
			name:   "ready and not ready pods, named port resolved",
			objs:   []any{svc(), pod("a", "10.1.0.1"), pod("b", "10.1.0.2", controllertest.NotReady)},
			writes: []string{"create web- IPv4 [http:8080/TCP] 10.1.0.1/RS- 10.1.0.2/---"},
		},
		{
			name:   "terminating pods: serving but not ready",
			objs:   []any{svc(), pod("a", "10.1.0.1", controllertest.Terminating), pod("b", "10.1.0.2", controllertest.Terminating, controllertest.NotReady)},
			writes: []string{"create web- IPv4 [http:8080/TCP] 10.1.0.1/-ST 10.1.0.2/--T"},
		},
		{
			name: "publishNotReadyAddresses: every pod ready and serving",
			objs: []any{svc(func(s *corev1.Service) { s.Spec.PublishNotReadyAddresses = true }),
				pod("a", "10.1.0.1", controllertest.NotReady), pod("b", "10.1.0.2", controllertest.Terminating, controllertest.NotReady)},
			writes: []string{"create web- IPv4 [http:8080/TCP] 10.1.0.1/RS- 10.1.0.2/RST"},
		},
		{
			name:   "one name, two port numbers: two slices",
			objs:   []any{svc(), pod("a", "10.1.0.1"), pod("b", "10.1.0.2", controllertest.Port(9090)), pod("c", "10.1.0.3")},
			writes: []string{"create web- IPv4 [http:8080/TCP] 10.1.0.1/RS- 10.1.0.3/RS-", "create web- IPv4 [http:9090/TCP] 10.1.0.2/RS-"},
		},
		{
			name: "a pod without the named port is listed without it",
			objs: []any{svc(func(s *corev1.Service) {
				s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: "metrics", Port: 9100, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromString("metrics")})
			}), pod("a", "10.1.0.1", func(p *corev1.Pod) {
				p.Spec.Containers[0].Ports = append(p.Spec.Containers[0].Ports, corev1.ContainerPort{Name: "metrics", ContainerPort: 9100})
			}), pod("b", "10.1.0.2")},
			writes: []string{"create web- IPv4 [http:8080/TCP,metrics:9100/TCP] 10.1.0.1/RS-", "create web- IPv4 [http:8080/TCP] 10.1.0.2/RS-"},
		},
		{
			name: "numeric target port, UDP",
			objs: []any{svc(func(s *corev1.Service) {
				s.Spec.Ports = []corev1.ServicePort{{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(5353)}}
			}), pod("a", "10.1.0.1")},
			writes: []string{"create web- IPv4 [dns:5353/UDP] 10.1.0.1/RS-"},
		},
		{
			name: "pods without an IP, finished, or not selected are left out",
			objs: []any{svc(), pod("a", "10.1.0.1"),
				pod("noip", "", func(p *corev1.Pod) { p.Status.PodIPs = nil }),
				pod("done", "10.1.0.3", func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded }),
				pod("other", "10.1.0.4", func(p *corev1.Pod) { p.Labels = map[string]string{"app": "db"} }),
			},
			writes: []string{"create web- IPv4 [http:8080/TCP] 10.1.0.1/RS-"},
		},
		{
			name:   "no pods: a placeholder slice",
			objs:   []any{svc()},
			writes: []string{"create web- IPv4 []"},
		},
		{
			name: "a placeholder stays",
			objs: []any{svc(), slice("web-ph", v4, 0)},
		},
		{
			name:   "the placeholder is reused for the first endpoints",
			objs:   []any{svc(), slice("web-ph", v4, 0), pod("a", "10.1.0.1")},
			writes: []string{"update web-ph IPv4 [http:8080/TCP] 10.1.0.1/RS-"},
		},
		{
			name: "up to date: nothing written",
			objs: []any{svc(), pod("a", "10.1.0.1"), pod("b", "10.1.0.2", controllertest.NotReady),
				slice("web-1", v4, 8080, ep("a", "10.1.0.1"), ep("b", "10.1.0.2", controllertest.NotReady))},
		},
		{
			name: "pod became ready: updated in place",
			objs: []any{svc(), pod("a", "10.1.0.1"), pod("b", "10.1.0.2"),
				slice("web-1", v4, 8080, ep("a", "10.1.0.1"), ep("b", "10.1.0.2", controllertest.NotReady))},
			writes: []string{"update web-1 IPv4 [http:8080/TCP] 10.1.0.1/RS- 10.1.0.2/RS-"},
		},
		{
			name: "pod deleted: removed from its slice",
			objs: []any{svc(), pod("a", "10.1.0.1"),
				slice("web-1", v4, 8080, ep("a", "10.1.0.1"), ep("b", "10.1.0.2"))},
			writes: []string{"update web-1 IPv4 [http:8080/TCP] 10.1.0.1/RS-"},
		},
		{
			name:   "last pod deleted: the slice becomes the placeholder",
			objs:   []any{svc(), slice("web-1", v4, 8080, ep("a", "10.1.0.1"))},
			writes: []string{"update web-1 IPv4 []"},
		},
		{
			name: "selector changed: old pods out, new pods in, same slice",
			objs: []any{svc(func(s *corev1.Service) { s.Spec.Selector = map[string]string{"app": "web2"} }),
				pod("a", "10.1.0.1"), pod("b", "10.1.0.2", func(p *corev1.Pod) { p.Labels = map[string]string{"app": "web2"} }),
				slice("web-1", v4, 8080, ep("a", "10.1.0.1"))},
			writes: []string{"update web-1 IPv4 [http:8080/TCP] 10.1.0.2/RS-"},
		},
		{
			name: "a user's edit is put back",
			objs: []any{svc(), pod("a", "10.1.0.1"),
				slice("web-1", v4, 8080, ep("a", "10.1.0.1", controllertest.NotReady), ep("a", "10.9.9.9"))},
			writes: []string{"update web-1 IPv4 [http:8080/TCP] 10.1.0.1/RS-"},
		},
		{
			name: "labels changed on the Service: slices relabelled",
			objs: []any{svc(func(s *corev1.Service) { s.Labels = map[string]string{"tier": "back"} }), pod("a", "10.1.0.1"),
				slice("web-1", v4, 8080, ep("a", "10.1.0.1"))},
			writes: []string{"update web-1 IPv4 [http:8080/TCP] 10.1.0.1/RS-"},
		},
		{
			name: "ports changed: the old slice is reused",
			objs: []any{svc(), pod("a", "10.1.0.1", controllertest.Port(9090)),
				slice("web-1", v4, 8080, ep("a", "10.1.0.1"))},
			writes: []string{"update web-1 IPv4 [http:9090/TCP] 10.1.0.1/RS-"},
		},
		{
			name: "slices of a family the Service lost are deleted",
			objs: []any{svc(), pod("a", "10.1.0.1"),
				slice("web-1", v4, 8080, ep("a", "10.1.0.1")), slice("web-6", v6, 8080)},
			writes: []string{"delete web-6"},
		},
		{
			name: "duplicate slices: the second one goes",
			objs: []any{svc(), pod("a", "10.1.0.1"),
				slice("web-1", v4, 8080, ep("a", "10.1.0.1")), slice("web-2", v4, 8080, ep("a", "10.1.0.1"))},
			writes: []string{"delete web-2"},
		},
		{
			name: "dual-stack: one slice per family",
			objs: []any{svc(func(s *corev1.Service) {
				s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}
			}), pod("a", "10.1.0.1", func(p *corev1.Pod) { p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: "fd00::1"}) }),
				pod("b", "10.1.0.2")},
			writes: []string{"create web- IPv4 [http:8080/TCP] 10.1.0.1/RS- 10.1.0.2/RS-", "create web- IPv6 [http:8080/TCP] fd00::1/RS-"},
		},
		{
			name: "IPv6 single stack",
			objs: []any{svc(func(s *corev1.Service) {
				s.Spec.IPFamilies, s.Spec.ClusterIP = []corev1.IPFamily{corev1.IPv6Protocol}, "fd00:96::20"
			}), pod("a", "fd00::1", func(p *corev1.Pod) { p.Status.PodIPs = []corev1.PodIP{{IP: "fd00::1"}, {IP: "10.1.0.1"}} })},
			writes: []string{"create web- IPv6 [http:8080/TCP] fd00::1/RS-"},
		},
		{
			name: "headless without families: both",
			objs: []any{svc(func(s *corev1.Service) {
				s.Spec.IPFamilies, s.Spec.ClusterIP, s.Spec.Ports = nil, corev1.ClusterIPNone, nil
			}), pod("a", "10.1.0.1")},
			writes: []string{"create web- IPv4 [] 10.1.0.1/RS-", "create web- IPv6 []"},
		},
		{
			name: "no selector: left alone",
			objs: []any{svc(func(s *corev1.Service) { s.Spec.Selector = nil }), pod("a", "10.1.0.1"),
				slice("web-1", v4, 8080, ep("x", "10.9.9.9"))},
		},
		{
			name: "ExternalName: left alone",
			objs: []any{svc(func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeExternalName }), pod("a", "10.1.0.1")},
		},
		{
			name: "being deleted: left alone",
			objs: []any{svc(func(s *corev1.Service) { s.DeletionTimestamp = &metav1.Time{} }), pod("a", "10.1.0.1")},
		},
		{
			name: "another manager's slices are ignored",
			objs: []any{svc(), pod("a", "10.1.0.1"), func() *discoveryv1.EndpointSlice {
				s := slice("web-x", v4, 8080, ep("a", "10.1.0.1"))
				s.Labels[discoveryv1.LabelManagedBy] = "someone-else"
				return s
			}()},
			writes: []string{"create web- IPv4 [http:8080/TCP] 10.1.0.1/RS-"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, a, ev := newTest(t, tt.objs...)
			if err := c.sync(context.Background(), ns+"/web"); err != nil {
				t.Fatal(err)
			}
			if got := sortedWrites(a.writes); !slices.Equal(got, tt.writes) {
				t.Errorf("writes:\n got %q\nwant %q", got, tt.writes)
			}
			if len(ev.Events()) > 0 {
				t.Errorf("events: %q", ev.Events())
			}
		})
	}
}

func TestSyncSplitsAtHundred(t *testing.T) {
	c, a, _ := newTest(t, append([]any{svc()}, pods(250)...)...)
	if err := c.sync(context.Background(), ns+"/web"); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	seen := map[string]bool{}
	for _, s := range a.objects {
		sizes = append(sizes, len(s.Endpoints))
		for _, e := range s.Endpoints {
			if seen[e.Addresses[0]] {
				t.Errorf("%s listed twice", e.Addresses[0])
			}
			seen[e.Addresses[0]] = true
		}
	}
	if !slices.Equal(sizes, []int{100, 100, 50}) || len(seen) != 250 {
		t.Fatalf("slice sizes %v, %d endpoints", sizes, len(seen))
	}
}

// TestSyncFillsBeforeCreating: a new endpoint goes to a slice with room,
// not to a new slice; a full slice is not touched.
func TestSyncFillsBeforeCreating(t *testing.T) {
	all := pods(151)
	var full, half []discoveryv1.Endpoint
	for i, o := range all[:150] {
		p := o.(*corev1.Pod)
		e := ep(p.Name, p.Status.PodIP)
		if i < 100 {
			full = append(full, e)
		} else {
			half = append(half, e)
		}
	}
	objs := append([]any{svc(), slice("web-full", v4, 8080, full...), slice("web-half", v4, 8080, half...)}, all...)
	c, a, _ := newTest(t, objs...)
	if err := c.sync(context.Background(), ns+"/web"); err != nil {
		t.Fatal(err)
	}
	if len(a.objects) != 1 || a.objects[0].Name != "web-half" || len(a.objects[0].Endpoints) != 51 {
		t.Fatalf("writes: %q", a.writes)
	}
}

// TestSyncWaitsForItsCreations: a sync on a cache that has not seen the
// slices just created makes none again.
func TestSyncWaitsForItsCreations(t *testing.T) {
	c, a, _ := newTest(t, svc(), pod("a", "10.1.0.1"))
	ctx := context.Background()
	if err := c.sync(ctx, ns+"/web"); err != nil {
		t.Fatal(err)
	}
	if err := c.sync(ctx, ns+"/web"); err != nil {
		t.Fatal(err)
	}
	if len(a.writes) != 1 {
		t.Fatalf("writes before the slice was seen: %q", a.writes)
	}
	c.addSlice(a.objects[0])
	if !c.expect.Satisfied(ns + "/web") {
		t.Fatal("creation seen, still waiting")
	}
}

func TestSyncFailureIsAnEvent(t *testing.T) {
	c, a, ev := newTest(t, svc(), pod("a", "10.1.0.1"))
	a.fail = errors.New("etcd down")
	if err := c.sync(context.Background(), ns+"/web"); err == nil {
		t.Fatal("sync succeeded")
	}
	want := "Warning FailedToUpdateEndpointSlices Error updating Endpoint Slices for Service default/web: create slice: etcd down"
	if !slices.Equal(ev.Events(), []string{want}) {
		t.Fatalf("events: %q", ev.Events())
	}
	if !c.expect.Satisfied(ns + "/web") {
		t.Fatal("a failed creation is still expected")
	}
}

func TestEndpointFields(t *testing.T) {
	s := svc(func(s *corev1.Service) { s.Spec.ClusterIP = corev1.ClusterIPNone })
	p := pod("a", "10.1.0.1", func(p *corev1.Pod) { p.Spec.Hostname, p.Spec.Subdomain = "a", "web" })
	c, a, _ := newTest(t, s, p, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", Labels: map[string]string{corev1.LabelTopologyZone: "z1"}}})
	if err := c.sync(context.Background(), ns+"/web"); err != nil {
		t.Fatal(err)
	}
	if len(a.objects) != 1 {
		t.Fatalf("writes: %q", a.writes)
	}
	got := a.objects[0]
	e := got.Endpoints[0]
	if fmt.Sprintf("%s %s %s %s %s %s", deref(e.NodeName), deref(e.Zone), deref(e.Hostname), e.TargetRef.Kind, e.TargetRef.Name, e.TargetRef.UID) != "n1 z1 a Pod a a-uid" {
		t.Errorf("endpoint %+v", e)
	}
	ref := metav1.GetControllerOf(got)
	if ref == nil || ref.Kind != "Service" || ref.Name != "web" || ref.UID != "svc-uid" || ref.BlockOwnerDeletion == nil || !*ref.BlockOwnerDeletion {
		t.Errorf("controllerRef %+v", ref)
	}
	want := "endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io,kubernetes.io/service-name=web,service.kubernetes.io/headless=,tier=front"
	var labels []string
	for k, v := range got.Labels {
		labels = append(labels, k+"="+v)
	}
	slices.Sort(labels)
	if strings.Join(labels, ",") != want {
		t.Errorf("labels %v", labels)
	}
}
