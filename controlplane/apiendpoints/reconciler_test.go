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
	for _, name := range []string{Namespace, "kube-system"} {
		if _, err := ns.Create(context.Background(), "", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, writeOpts); err != nil {
			t.Fatal(err)
		}
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

// The reconciler keeps another service's endpoints with its own ports
// and leases: kube-dns, UDP and TCP on each listener's port.
func TestOtherService(t *testing.T) {
	ctx := context.Background()
	rs, eps, slices := newReconcilers(t, "10.0.0.1:6443")
	dns := &Reconciler{Self: netip.MustParseAddrPort("10.0.0.1:53"), Leases: rs[0].Leases, Endpoints: eps, Slices: slices,
		Service: Service{Namespace: "kube-system", Name: "kube-dns", LeasePrefix: "dnsleases/",
			Ports: []Port{{Name: "dns", Protocol: corev1.ProtocolUDP}, {Name: "dns-tcp", Protocol: corev1.ProtocolTCP}}}}
	for _, r := range []*Reconciler{rs[0], dns} {
		if err := r.Once(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if e, _ := state(t, eps, slices); e != "10.0.0.1:6443" {
		t.Errorf("kubernetes endpoints %q", e)
	}
	obj, err := slices.Get(ctx, "kube-system", "kube-dns")
	if err != nil {
		t.Fatal(err)
	}
	s := obj.(*discoveryv1.EndpointSlice)
	if len(s.Endpoints) != 1 || s.Endpoints[0].Addresses[0] != "10.0.0.1" || len(s.Ports) != 2 ||
		*s.Ports[0].Name != "dns" || *s.Ports[0].Protocol != corev1.ProtocolUDP || *s.Ports[0].Port != 53 ||
		*s.Ports[1].Name != "dns-tcp" || *s.Ports[1].Protocol != corev1.ProtocolTCP || *s.Ports[1].Port != 53 {
		t.Errorf("kube-dns slice %+v", s)
	}
	obj, err = eps.Get(ctx, "kube-system", "kube-dns")
	if err != nil {
		t.Fatal(err)
	}
	if ss := obj.(*corev1.Endpoints).Subsets; len(ss) != 1 || len(ss[0].Ports) != 2 || ss[0].Addresses[0].IP != "10.0.0.1" {
		t.Errorf("kube-dns endpoints %+v", ss)
	}
}
