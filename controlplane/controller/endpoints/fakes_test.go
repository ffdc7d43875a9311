package endpoints

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/controller/controllertest"
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

func newTest(t *testing.T, objs ...any) (*Controller, *fakeAPI, *controllertest.Recorder) {
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
	a, ev := &fakeAPI{}, &controllertest.Recorder{}
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

// The service web and its pods are controllertest's.
const ns = controllertest.Namespace

var svc, pod = controllertest.Service, controllertest.Pod

// endpoints are the Endpoints this controller writes for svc() and pods.
func endpoints(pods ...*corev1.Pod) *corev1.Endpoints {
	e := desired(svc(), pods, nil)
	e.ResourceVersion = "5"
	return e
}
