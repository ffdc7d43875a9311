package endpoints

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// fakeAPI records the writes; fail, when set, fails them all.
type fakeAPI struct {
	mu      sync.Mutex
	writes  []string
	written []*corev1.Endpoints
	fail    error
}

func (a *fakeAPI) record(w string, e *corev1.Endpoints) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fail != nil {
		return a.fail
	}
	a.writes = append(a.writes, w)
	if e != nil {
		a.written = append(a.written, e)
	}
	return nil
}

func (a *fakeAPI) create(_ context.Context, e *corev1.Endpoints) error {
	return a.record("create "+describe(e), e)
}

func (a *fakeAPI) update(_ context.Context, e *corev1.Endpoints) error {
	return a.record("update "+describe(e), e)
}

func (a *fakeAPI) delete(_ context.Context, ns, name string) error {
	return a.record("delete "+ns+"/"+name, nil)
}

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

func newTest(t *testing.T, objs ...any) (*Controller, *fakeAPI, *events) {
	t.Helper()
	idx := func() cache.Indexer {
		return cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	}
	svcs, pods, eps := idx(), idx(), idx()
	for _, o := range objs {
		var err error
		switch o.(type) {
		case *corev1.Service:
			err = svcs.Add(o)
		case *corev1.Pod:
			err = pods.Add(o)
		case *corev1.Endpoints:
			err = eps.Add(o)
		default:
			t.Fatalf("unexpected object %T", o)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	a, ev := &fakeAPI{}, &events{}
	c := newController(corelisters.NewServiceLister(svcs), corelisters.NewPodLister(pods), corelisters.NewEndpointsLister(eps), a, ev)
	return c, a, ev
}

// describe prints subsets as "[http:8080] 10.1.0.1 10.1.0.2 !10.1.0.3 | …",
// not-ready addresses marked with "!".
func describe(e *corev1.Endpoints) string {
	var subs []string
	for _, ss := range e.Subsets {
		var ports, addrs []string
		for _, p := range ss.Ports {
			ports = append(ports, fmt.Sprintf("%s:%d", p.Name, p.Port))
			if p.Protocol != corev1.ProtocolTCP {
				ports[len(ports)-1] += "/" + string(p.Protocol)
			}
		}
		for _, a := range ss.Addresses {
			addrs = append(addrs, a.IP)
		}
		for _, a := range ss.NotReadyAddresses {
			addrs = append(addrs, "!"+a.IP)
		}
		subs = append(subs, "["+strings.Join(ports, ",")+"] "+strings.Join(addrs, " "))
	}
	return e.Namespace + "/" + e.Name + " " + strings.Join(subs, " | ")
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

// endpoints are the Endpoints this controller writes for svc() and pods.
func endpoints(pods ...*corev1.Pod) *corev1.Endpoints {
	e := desired(svc(), pods, nil)
	e.ResourceVersion = "5"
	return e
}
