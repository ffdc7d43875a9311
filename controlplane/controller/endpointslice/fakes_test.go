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
	"k8s.io/apimachinery/pkg/types"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/controller/controllertest"
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

// newTest returns a controller whose listers hold objs.
func newTest(t *testing.T, objs ...any) (*Controller, *fakeAPI, *controllertest.Recorder) {
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
	a, ev := &fakeAPI{}, &controllertest.Recorder{}
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

// The service web and its pods are controllertest's.
const ns = controllertest.Namespace

var svc, pod = controllertest.Service, controllertest.Pod

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
