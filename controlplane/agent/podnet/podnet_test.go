package podnet

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"google.golang.org/grpc"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// fakeTable is a routing table: the skiff routes, plus the networks
// that are directly connected.
type fakeTable struct {
	routes   map[netip.Prefix]netip.Addr
	onLink   []netip.Prefix
	replaced int
	deleted  int
	failList error
}

func newFakeTable(onLink ...string) *fakeTable {
	t := &fakeTable{routes: map[netip.Prefix]netip.Addr{}}
	for _, s := range onLink {
		t.onLink = append(t.onLink, netip.MustParsePrefix(s))
	}
	return t
}

func (f *fakeTable) Routes() ([]Route, error) {
	if f.failList != nil {
		return nil, f.failList
	}
	var out []Route
	for d, v := range f.routes {
		out = append(out, Route{Dst: d, Via: v})
	}
	return out, nil
}

func (f *fakeTable) Replace(r Route) error {
	f.replaced++
	f.routes[r.Dst] = r.Via
	return nil
}

func (f *fakeTable) Delete(r Route) error {
	f.deleted++
	delete(f.routes, r.Dst)
	return nil
}

func (f *fakeTable) OnLink(a netip.Addr) (bool, error) {
	return slices.ContainsFunc(f.onLink, func(p netip.Prefix) bool { return p.Contains(a) }), nil
}

func (f *fakeTable) show() map[string]string {
	out := map[string]string{}
	for d, v := range f.routes {
		out[d.String()] = v.String()
	}
	return out
}

func nodeWith(name, ip string, cidrs ...string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if ip != "" {
		n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: name}, {Type: corev1.NodeInternalIP, Address: ip}}
	}
	if len(cidrs) > 0 {
		n.Spec.PodCIDR, n.Spec.PodCIDRs = cidrs[0], cidrs
	}
	return n
}

func TestDesired(t *testing.T) {
	nodes := []*corev1.Node{
		nodeWith("n1", "192.168.250.11", "10.244.0.0/24"),
		nodeWith("n2", "192.168.250.12", "10.244.1.0/24"),
		nodeWith("n3", "192.168.250.13"),                                        // no CIDR yet
		nodeWith("n4", "", "10.244.3.0/24"),                                     // no address yet
		nodeWith("n5", "192.168.250.15", "10.244.4.0/24", "fd00:10:244:4::/64"), // no IPv6 address
	}
	nodes[4].Status.Addresses = append(nodes[4].Status.Addresses, corev1.NodeAddress{Type: corev1.NodeExternalIP, Address: "fd00::15"})
	own, routes := Desired("n1", nodes)
	if !slices.Equal(own, []string{"10.244.0.0/24"}) {
		t.Errorf("own %v", own)
	}
	var got []string
	for _, r := range routes {
		got = append(got, r.Node+": "+r.String())
	}
	want := []string{"n2: 10.244.1.0/24 via 192.168.250.12", "n5: 10.244.4.0/24 via 192.168.250.15"}
	if !slices.Equal(got, want) {
		t.Errorf("routes %v, want %v", got, want)
	}
}

func TestReconcile(t *testing.T) {
	ctx := context.Background()
	table := newFakeTable("192.168.250.0/24")
	r := func(dst, via string) Route {
		return Route{Dst: netip.MustParsePrefix(dst), Via: netip.MustParseAddr(via)}
	}
	warned := map[Route]bool{}
	steps := []struct {
		name string
		want []Route
		show map[string]string
	}{
		{"two nodes", []Route{r("10.244.1.0/24", "192.168.250.12"), r("10.244.2.0/24", "192.168.250.13")},
			map[string]string{"10.244.1.0/24": "192.168.250.12", "10.244.2.0/24": "192.168.250.13"}},
		{"a node moved", []Route{r("10.244.1.0/24", "192.168.250.12"), r("10.244.2.0/24", "192.168.250.23")},
			map[string]string{"10.244.1.0/24": "192.168.250.12", "10.244.2.0/24": "192.168.250.23"}},
		{"a node went away", []Route{r("10.244.2.0/24", "192.168.250.23")},
			map[string]string{"10.244.2.0/24": "192.168.250.23"}},
		{"a node off the segment", []Route{r("10.244.2.0/24", "192.168.250.23"), r("10.244.5.0/24", "172.16.0.5")},
			map[string]string{"10.244.2.0/24": "192.168.250.23"}},
		{"all gone", nil, map[string]string{}},
	}
	for _, st := range steps {
		if err := Reconcile(ctx, table, st.want, warned); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := table.show(); !equalMaps(got, st.show) {
			t.Errorf("%s: routes %v, want %v", st.name, got, st.show)
		}
	}
	if table.replaced != 3 || table.deleted != 3 {
		t.Errorf("%d replaced, %d deleted: want 3 and 3 (nothing rewritten that was right)", table.replaced, table.deleted)
	}
	if !warned[r("10.244.5.0/24", "172.16.0.5")] {
		t.Error("no warning remembered for the unreachable node")
	}
	table.failList = errors.New("netlink down")
	if err := Reconcile(ctx, table, nil, warned); err == nil {
		t.Error("a failed list is not an error")
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

type fakeNAT struct{ own, remote []netip.Prefix }

func (f *fakeNAT) Exempt(own, remote []netip.Prefix) error {
	f.own, f.remote = own, remote
	return nil
}

type fakeRuntime struct{ cidrs []string }

func (f *fakeRuntime) UpdateRuntimeConfig(_ context.Context, in *runtimeapi.UpdateRuntimeConfigRequest, _ ...grpc.CallOption) (*runtimeapi.UpdateRuntimeConfigResponse, error) {
	f.cidrs = append(f.cidrs, in.GetRuntimeConfig().GetNetworkConfig().GetPodCidr())
	return &runtimeapi.UpdateRuntimeConfigResponse{}, nil
}

func TestManagerSync(t *testing.T) {
	ctx := context.Background()
	idx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	lister := corelisters.NewNodeLister(idx)
	rt := &fakeRuntime{}
	table := newFakeTable("192.168.250.0/24")
	nat := &fakeNAT{}
	m := NewManager("n1", rt, table, nat)
	_ = idx.Add(nodeWith("n1", "192.168.250.11"))
	_ = idx.Add(nodeWith("n2", "192.168.250.12", "10.244.1.0/24"))
	if err := m.Sync(ctx, lister); err != nil {
		t.Fatal(err)
	}
	if len(rt.cidrs) != 0 || m.PodCIDR() != "" {
		t.Errorf("runtime given %v before the node had a CIDR", rt.cidrs)
	}
	select {
	case <-m.PodCIDRApplied():
		t.Fatal("applied before any CIDR")
	default:
	}
	_ = idx.Update(nodeWith("n1", "192.168.250.11", "10.244.0.0/24", "fd00:10:244::/64"))
	if err := m.Sync(ctx, lister); err != nil {
		t.Fatal(err)
	}
	<-m.PodCIDRApplied()
	if !slices.Equal(rt.cidrs, []string{"10.244.0.0/24,fd00:10:244::/64"}) {
		t.Errorf("runtime given %v", rt.cidrs)
	}
	if got := table.show(); !equalMaps(got, map[string]string{"10.244.1.0/24": "192.168.250.12"}) {
		t.Errorf("routes %v", got)
	}
	if fmt.Sprint(nat.own, nat.remote) != "[10.244.0.0/24 fd00:10:244::/64] [10.244.1.0/24]" {
		t.Errorf("NAT exemption %v -> %v", nat.own, nat.remote)
	}
	// The node goes: its route too. The runtime is told again (it may
	// have restarted).
	_ = idx.Delete(nodeWith("n2", ""))
	if err := m.Sync(ctx, lister); err != nil {
		t.Fatal(err)
	}
	if len(table.routes) != 0 || len(rt.cidrs) != 2 {
		t.Errorf("routes %v, runtime calls %v", table.show(), rt.cidrs)
	}
}
