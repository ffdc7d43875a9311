package endpointslice

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
)

// fakeAPI records the writes; fail, when set, fails them all.
type fakeAPI struct {
	mu      sync.Mutex
	writes  []string // "create …", "update …", "delete name"
	objects []*discoveryv1.EndpointSlice
	fail    error
}

func (a *fakeAPI) record(verb string, s *discoveryv1.EndpointSlice) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fail != nil {
		return a.fail
	}
	if verb == "delete" {
		a.writes = append(a.writes, "delete "+s.Name)
		return nil
	}
	a.writes = append(a.writes, verb+" "+describe(s))
	a.objects = append(a.objects, s)
	return nil
}

func (a *fakeAPI) create(_ context.Context, s *discoveryv1.EndpointSlice) error {
	return a.record("create", s)
}

func (a *fakeAPI) update(_ context.Context, s *discoveryv1.EndpointSlice) error {
	return a.record("update", s)
}

func (a *fakeAPI) delete(_ context.Context, s *discoveryv1.EndpointSlice) error {
	return a.record("delete", s)
}

// events records Eventf calls as "type reason message".
type events struct {
	mu   sync.Mutex
	list []string
}

func (e *events) Event(_ runtime.Object, eventtype, reason, message string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, eventtype+" "+reason+" "+message)
}

func (e *events) Eventf(o runtime.Object, eventtype, reason, messageFmt string, args ...any) {
	e.Event(o, eventtype, reason, fmt.Sprintf(messageFmt, args...))
}

func (e *events) AnnotatedEventf(o runtime.Object, _ map[string]string, eventtype, reason, messageFmt string, args ...any) {
	e.Eventf(o, eventtype, reason, messageFmt, args...)
}

// newTest returns a controller whose listers hold objs.
func newTest(t *testing.T, objs ...any) (*Controller, *fakeAPI, *events) {
	t.Helper()
	idx := func() cache.Indexer {
		return cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	}
	svcs, pods, nodes, sl := idx(), idx(), idx(), idx()
	for _, o := range objs {
		var err error
		switch o.(type) {
		case *corev1.Service:
			err = svcs.Add(o)
		case *corev1.Pod:
			err = pods.Add(o)
		case *corev1.Node:
			err = nodes.Add(o)
		case *discoveryv1.EndpointSlice:
			err = sl.Add(o)
		default:
			t.Fatalf("unexpected object %T", o)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	a, ev := &fakeAPI{}, &events{}
	c := newController(corelisters.NewServiceLister(svcs), corelisters.NewPodLister(pods), corelisters.NewNodeLister(nodes),
		discoverylisters.NewEndpointSliceLister(sl), a, ev)
	return c, a, ev
}

// describe prints a slice as the tests compare it:
// "name|generateName- IPv4 http:8080/TCP 10.0.0.1/RS- 10.0.0.2/--T".
func describe(s *discoveryv1.EndpointSlice) string {
	name := s.Name
	if name == "" {
		name = s.GenerateName
	}
	parts := []string{name, string(s.AddressType)}
	var ports []string
	for _, p := range s.Ports {
		ports = append(ports, fmt.Sprintf("%s:%d/%s", deref(p.Name), deref(p.Port), deref(p.Protocol)))
	}
	parts = append(parts, "["+strings.Join(ports, ",")+"]")
	for _, ep := range s.Endpoints {
		flag := func(b *bool, c string) string {
			if b != nil && *b {
				return c
			}
			return "-"
		}
		parts = append(parts, strings.Join(ep.Addresses, ",")+"/"+
			flag(ep.Conditions.Ready, "R")+flag(ep.Conditions.Serving, "S")+flag(ep.Conditions.Terminating, "T"))
	}
	return strings.Join(parts, " ")
}

const ns = "default"

func svc(mods ...func(*corev1.Service)) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns, UID: "svc-uid", Labels: map[string]string{"tier": "front"}},
		Spec: corev1.ServiceSpec{
			Selector:   map[string]string{"app": "web"},
			ClusterIP:  "10.96.0.20",
			IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol},
			Ports: []corev1.ServicePort{{
				Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromString("http"),
			}},
		},
	}
	for _, m := range mods {
		m(s)
	}
	return s
}

// pod is a ready pod of app=web on node n1 with IP ip, whose port "http"
// is 8080.
func pod(name, ip string, mods ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID(name + "-uid"), Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{
			NodeName: "n1",
			Containers: []corev1.Container{{Name: "c", Ports: []corev1.ContainerPort{
				{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP},
			}}},
		},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
		},
	}
	for _, m := range mods {
		m(p)
	}
	return p
}

func notReady(p *corev1.Pod) { p.Status.Conditions[0].Status = corev1.ConditionFalse }

func terminating(p *corev1.Pod) { p.DeletionTimestamp = &metav1.Time{} }

func port(n int32) func(*corev1.Pod) {
	return func(p *corev1.Pod) { p.Spec.Containers[0].Ports[0].ContainerPort = n }
}

// slice is an existing slice of web, as this controller writes it.
func slice(name string, at discoveryv1.AddressType, portNum int32, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID(name + "-uid"), ResourceVersion: "7"},
		AddressType: at,
		Endpoints:   eps,
	}
	if portNum != 0 {
		name, proto := "http", corev1.ProtocolTCP
		s.Ports = []discoveryv1.EndpointPort{{Name: &name, Port: &portNum, Protocol: &proto}}
	} else {
		s.Ports = []discoveryv1.EndpointPort{}
	}
	(&planner{svc: svc()}).setMeta(s)
	return s
}

// ep is the endpoint of pod(name, ip) as this controller writes it.
func ep(name, ip string, mods ...func(*corev1.Pod)) discoveryv1.Endpoint {
	e, _ := podEndpoint(svc(), pod(name, ip, mods...), discoveryv1.AddressTypeIPv4, func(string) string { return "" })
	return e
}

func pods(n int, mods ...func(*corev1.Pod)) []any {
	var out []any
	for i := range n {
		out = append(out, pod(fmt.Sprintf("p%03d", i), fmt.Sprintf("10.1.%d.%d", i/200, i%200+1), mods...))
	}
	return out
}

func sortedWrites(w []string) []string {
	w = slices.Clone(w)
	slices.Sort(w)
	return w
}
