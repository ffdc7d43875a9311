package apiendpoints

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/applyconfigurations"

	"github.com/skiffrt/skiff/controlplane/apiserver"
	"github.com/skiffrt/skiff/controlplane/etcd/etcdtest"
	"github.com/skiffrt/skiff/controlplane/registry"
	endpointsreg "github.com/skiffrt/skiff/controlplane/registry/endpoints"
	"github.com/skiffrt/skiff/controlplane/registry/endpointslice"
	"github.com/skiffrt/skiff/controlplane/registry/namespace"
	"github.com/skiffrt/skiff/controlplane/storage"
)

// newReconcilers returns reconcilers of API servers at addrs, sharing one
// etcd, and the stores they write to.
func newReconcilers(t *testing.T, addrs ...string) ([]*Reconciler, *registry.Store, *registry.Store) {
	t.Helper()
	scheme := apiserver.NewScheme()
	st := storage.New(etcdtest.Start(t), storage.NewCodec(scheme), "/registry")
	deps := registry.Deps{Storage: st, Scheme: scheme, TypeConverter: applyconfigurations.NewTypeConverter(scheme)}
	mk := func(k registry.Kind) *registry.Store {
		s, err := registry.NewStore(k, deps)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ns := mk(namespace.Kind())
	if _, err := ns.Create(context.Background(), "", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace}}, writeOpts); err != nil {
		t.Fatal(err)
	}
	eps, slices := mk(endpointsreg.Kind()), mk(endpointslice.Kind())
	var out []*Reconciler
	for _, a := range addrs {
		out = append(out, &Reconciler{Self: netip.MustParseAddrPort(a), Leases: st, Endpoints: eps, Slices: slices})
	}
	return out, eps, slices
}

// state renders the Endpoints and the slices as "ip:port ..." lines.
func state(t *testing.T, eps, slices *registry.Store) (string, string) {
	t.Helper()
	ctx := context.Background()
	obj, err := eps.Get(ctx, Namespace, Name)
	if err != nil {
		t.Fatal(err)
	}
	var e []string
	for _, ss := range obj.(*corev1.Endpoints).Subsets {
		for _, a := range ss.Addresses {
			e = append(e, netip.AddrPortFrom(netip.MustParseAddr(a.IP), uint16(ss.Ports[0].Port)).String())
		}
	}
	list, err := slices.List(ctx, Namespace, &metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, obj := range registry.ListItems(list) {
		sl := obj.(*discoveryv1.EndpointSlice)
		for _, ep := range sl.Endpoints {
			s = append(s, sl.Name+"="+netip.AddrPortFrom(netip.MustParseAddr(ep.Addresses[0]), uint16(*sl.Ports[0].Port)).String())
		}
	}
	return strings.Join(e, " "), strings.Join(s, " ")
}

func TestEndpointsFollowTheServers(t *testing.T) {
	ctx := context.Background()
	rs, eps, slices := newReconcilers(t, "10.0.0.2:6443", "10.0.0.1:6443", "10.0.0.3:7443")
	for _, r := range rs {
		if err := r.Once(ctx); err != nil {
			t.Fatal(err)
		}
	}
	e, s := state(t, eps, slices)
	if e != "10.0.0.1:6443 10.0.0.2:6443 10.0.0.3:7443" ||
		s != "kubernetes=10.0.0.1:6443 kubernetes=10.0.0.2:6443 kubernetes-7443-ipv4=10.0.0.3:7443" {
		t.Fatalf("endpoints %q, slices %q", e, s)
	}
	// The third server stops: its address and its port's slice go.
	done, cancel := context.WithCancel(ctx)
	cancel()
	rs[2].Run(done)
	if e, s := state(t, eps, slices); e != "10.0.0.1:6443 10.0.0.2:6443" || s != "kubernetes=10.0.0.1:6443 kubernetes=10.0.0.2:6443" {
		t.Fatalf("after a stop: endpoints %q, slices %q", e, s)
	}
}

// A server that dies without a word drops out when its lease expires.
func TestDeadServerExpires(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a lease to expire")
	}
	ctx := context.Background()
	rs, eps, slices := newReconcilers(t, "10.0.0.1:6443", "10.0.0.2:6443")
	for _, r := range rs {
		if err := r.Once(ctx); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(leaseTTL + 10*time.Second)
	for {
		if err := rs[0].Once(ctx); err != nil {
			t.Fatal(err)
		}
		if e, _ := state(t, eps, slices); e == "10.0.0.1:6443" {
			return
		}
		if time.Now().After(deadline) {
			e, s := state(t, eps, slices)
			t.Fatalf("dead server still listed: endpoints %q, slices %q", e, s)
		}
		time.Sleep(time.Second)
	}
}
