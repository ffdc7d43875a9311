package proxy

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/knftables"
)

// fakeServices and fakeSlices are listers over slices the test changes.
type fakeServices struct{ items []*corev1.Service }

func (f *fakeServices) List(labels.Selector) ([]*corev1.Service, error) { return f.items, nil }

type fakeSlices struct{ items []*discoveryv1.EndpointSlice }

func (f *fakeSlices) List(labels.Selector) ([]*discoveryv1.EndpointSlice, error) {
	return f.items, nil
}

// fakeConntrack records the flows it is asked to delete.
type fakeConntrack struct{ deleted []Flow }

func (f *fakeConntrack) DeleteUDP(flows []Flow) error {
	f.deleted = append(f.deleted, flows...)
	return nil
}

type svcOpt func(*corev1.Service)

func service(name, ip string, proto corev1.Protocol, port int32, opts ...svcOpt) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeClusterIP, ClusterIP: ip,
			Ports: []corev1.ServicePort{{Name: "p", Protocol: proto, Port: port}},
		},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

func nodePort(np int32) svcOpt {
	return func(s *corev1.Service) {
		s.Spec.Type = corev1.ServiceTypeNodePort
		s.Spec.Ports[0].NodePort = np
	}
}

func localPolicy(s *corev1.Service) {
	s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
}

func clientIPAffinity(seconds int32) svcOpt {
	return func(s *corev1.Service) {
		s.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
		s.Spec.SessionAffinityConfig = &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: &seconds}}
	}
}

// ep is an endpoint of a slice: address, node, and conditions.
type ep struct {
	ip, node                     string
	notReady, terminating, unset bool
}

func slice(svc string, proto corev1.Protocol, port int32, eps ...ep) *discoveryv1.EndpointSlice {
	name := "p"
	s := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: "default", Name: svc + "-" + fmt.Sprint(len(eps)),
			Labels: map[string]string{discoveryv1.LabelServiceName: svc},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: &name, Protocol: &proto, Port: &port}},
	}
	for _, e := range eps {
		var c discoveryv1.EndpointConditions
		if !e.unset {
			c.Ready = knftables.PtrTo(!e.notReady && !e.terminating)
			c.Terminating = knftables.PtrTo(e.terminating)
		}
		node := e.node
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{e.ip}, Conditions: c, NodeName: &node})
	}
	return s
}

type harness struct {
	t     *testing.T
	nft   *knftables.Fake
	ct    *fakeConntrack
	svcs  *fakeServices
	slcs  *fakeSlices
	proxy *Proxier
}

func newHarness(t *testing.T, cfg Config) *harness {
	h := &harness{t: t, nft: knftables.NewFake(knftables.InetFamily, TableName), ct: &fakeConntrack{},
		svcs: &fakeServices{}, slcs: &fakeSlices{}}
	h.proxy = New(h.nft, h.ct, h.svcs, h.slcs, cfg)
	return h
}

func (h *harness) sync() {
	h.t.Helper()
	if _, err := h.proxy.Sync(context.Background()); err != nil {
		h.t.Fatalf("sync: %v", err)
	}
}

func (h *harness) rules(chain string) []string {
	h.t.Helper()
	ch := h.nft.Table.Chains[chain]
	if ch == nil {
		h.t.Fatalf("no chain %q; table:\n%s", chain, h.nft.Dump())
	}
	var out []string
	for _, r := range ch.Rules {
		out = append(out, r.Rule)
	}
	return out
}

func (h *harness) element(m string, key ...string) string {
	h.t.Helper()
	e := h.nft.Table.Maps[m].FindElement(key...)
	if e == nil {
		return ""
	}
	return strings.Join(e.Value, " ")
}

func (h *harness) chainsWithPrefix(prefix string) []string {
	var out []string
	for name := range h.nft.Table.Chains {
		if strings.HasPrefix(name, prefix) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// oneService is a harness of node n1 with the cluster CIDR, synced with
// svc and its endpoints in slice (nil: none).
func oneService(t *testing.T, svc *corev1.Service, slice *discoveryv1.EndpointSlice) *harness {
	t.Helper()
	h := newHarness(t, Config{NodeName: "n1", ClusterCIDRs: []netip.Prefix{cidr}})
	h.svcs.items = []*corev1.Service{svc}
	if slice != nil {
		h.slcs.items = []*discoveryv1.EndpointSlice{slice}
	}
	h.sync()
	return h
}

// wantVerdicts checks the service-ips and no-endpoint-services verdicts
// of ip's TCP port 80 ("": no element).
func (h *harness) wantVerdicts(ip, serviceIPs, noEP string) {
	h.t.Helper()
	if got := h.element(mapServiceIPs, ip, "tcp", "80"); got != serviceIPs {
		h.t.Errorf("service-ips %s: %q, want %q", ip, got, serviceIPs)
	}
	if got := h.element(mapNoEPServices, ip, "tcp", "80"); got != noEP {
		h.t.Errorf("no-endpoint-services %s: %q, want %q", ip, got, noEP)
	}
}

func wantRules(t *testing.T, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("rules:\n got %q\nwant %q", got, want)
	}
}

var cidr = netip.MustParsePrefix("10.244.0.0/16")

func TestClusterIPThreeEndpoints(t *testing.T) {
	h := newHarness(t, Config{NodeName: "n1", ClusterCIDRs: []netip.Prefix{cidr}})
	h.svcs.items = []*corev1.Service{service("web", "10.96.0.5", corev1.ProtocolTCP, 80)}
	h.slcs.items = []*discoveryv1.EndpointSlice{slice("web", corev1.ProtocolTCP, 8080,
		ep{ip: "10.244.1.3"}, ep{ip: "10.244.1.2"}, ep{ip: "10.244.2.7", unset: true})}
	h.sync()

	if got := h.element(mapServiceIPs, "10.96.0.5", "tcp", "80"); got != "goto svc-default/web/tcp/p" {
		t.Errorf("service-ips element: %q", got)
	}
	wantRules(t, h.rules("svc-default/web/tcp/p"),
		"ip saddr != 10.244.0.0/16 jump mark-for-masquerade",
		"numgen random mod 3 vmap { 0 : goto ep-default/web/tcp/p__10.244.1.2/8080 , "+
			"1 : goto ep-default/web/tcp/p__10.244.1.3/8080 , 2 : goto ep-default/web/tcp/p__10.244.2.7/8080 }")
	wantRules(t, h.rules("ep-default/web/tcp/p__10.244.1.3/8080"),
		"ip saddr 10.244.1.3 jump mark-for-masquerade",
		"meta l4proto tcp dnat ip to 10.244.1.3:8080")
	wantRules(t, h.rules("nat-prerouting"), "jump services")
	wantRules(t, h.rules("nat-output"), "jump services")
	wantRules(t, h.rules("nat-postrouting"), "jump masquerading")
	wantRules(t, h.rules("masquerading"), "mark and 0x4000 == 0 return", "mark set mark xor 0x4000", "masquerade fully-random")
	if got := h.chainsWithPrefix("ep-"); len(got) != 3 {
		t.Errorf("endpoint chains: %q", got)
	}
	if len(h.nft.Table.Maps[mapNoEPServices].Elements) != 0 {
		t.Errorf("no-endpoint-services not empty:\n%s", h.nft.Dump())
	}
	// A second sync of the same state is the same table.
	before := h.nft.Dump()
	h.sync()
	if after := h.nft.Dump(); after != before {
		t.Errorf("resync changed the table:\n%s\n---\n%s", before, after)
	}
}

func TestNoEndpointsRejects(t *testing.T) {
	h := newHarness(t, Config{})
	h.svcs.items = []*corev1.Service{service("empty", "10.96.0.9", corev1.ProtocolUDP, 53, nodePort(30053))}
	h.sync()
	if got := h.element(mapNoEPServices, "10.96.0.9", "udp", "53"); got != "goto reject-chain" {
		t.Errorf("no-endpoint-services element: %q", got)
	}
	if got := h.element(mapNoEPNodePorts, "udp", "30053"); got != "goto reject-chain" {
		t.Errorf("no-endpoint-nodeports element: %q", got)
	}
	if got := h.element(mapServiceIPs, "10.96.0.9", "udp", "53"); got != "" {
		t.Errorf("service-ips has %q for a service without endpoints", got)
	}
	wantRules(t, h.rules("reject-chain"), "reject")
	forward := []string{
		"ct state new ip daddr . meta l4proto . th dport vmap @no-endpoint-services",
		"ct state new ip6 daddr . meta l4proto . th dport vmap @no-endpoint-services-ipv6",
	}
	wantRules(t, h.rules("filter-forward"), forward...)
	wantRules(t, h.rules("filter-output"), forward...)
	wantRules(t, h.rules("filter-input"),
		"ct state new ip daddr . meta l4proto . th dport vmap @no-endpoint-services",
		"ct state new fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports",
		"ct state new ip6 daddr . meta l4proto . th dport vmap @no-endpoint-services-ipv6",
		"ct state new fib daddr type local ip6 daddr != ::1 meta l4proto . th dport vmap @no-endpoint-nodeports-ipv6")
	if got := h.chainsWithPrefix("svc-"); len(got) != 0 {
		t.Errorf("service chains for a service without endpoints: %q", got)
	}
}

func TestNodePortCluster(t *testing.T) {
	h := newHarness(t, Config{NodeName: "n1", NodePortAddresses: []netip.Prefix{netip.MustParsePrefix("192.168.5.0/24")}})
	h.svcs.items = []*corev1.Service{service("web", "10.96.0.5", corev1.ProtocolTCP, 80, nodePort(30080))}
	h.slcs.items = []*discoveryv1.EndpointSlice{slice("web", corev1.ProtocolTCP, 8080, ep{ip: "10.244.1.2", node: "n2"})}
	h.sync()
	if got := h.element(mapNodePorts, "tcp", "30080"); got != "goto ext-default/web/tcp/p" {
		t.Errorf("service-nodeports element: %q", got)
	}
	wantRules(t, h.rules("ext-default/web/tcp/p"), "jump mark-for-masquerade", "goto svc-default/web/tcp/p")
	wantRules(t, h.rules("services"),
		"ip daddr . meta l4proto . th dport vmap @service-ips",
		"ip daddr { 192.168.5.0/24 } fib daddr type local meta l4proto . th dport vmap @service-nodeports",
		// No IPv6 node port addresses: no IPv6 NodePorts.
		"ip6 daddr . meta l4proto . th dport vmap @service-ips-ipv6")
	// Without a cluster CIDR the service chain masquerades nothing itself.
	wantRules(t, h.rules("svc-default/web/tcp/p"), "numgen random mod 1 vmap { 0 : goto ep-default/web/tcp/p__10.244.1.2/8080 }")
}

func TestNodePortLocal(t *testing.T) {
	h := newHarness(t, Config{NodeName: "n1", ClusterCIDRs: []netip.Prefix{cidr}})
	h.svcs.items = []*corev1.Service{
		service("web", "10.96.0.5", corev1.ProtocolTCP, 80, nodePort(30080), localPolicy),
		service("far", "10.96.0.6", corev1.ProtocolTCP, 80, nodePort(30081), localPolicy),
	}
	h.slcs.items = []*discoveryv1.EndpointSlice{
		slice("web", corev1.ProtocolTCP, 8080, ep{ip: "10.244.1.2", node: "n1"}, ep{ip: "10.244.2.2", node: "n2"}),
		slice("far", corev1.ProtocolTCP, 8080, ep{ip: "10.244.2.3", node: "n2"}),
	}
	h.sync()
	wantRules(t, h.rules("ext-default/web/tcp/p"),
		"fib saddr type local jump mark-for-masquerade",
		"fib saddr type local goto svc-default/web/tcp/p",
		"ip saddr 10.244.0.0/16 goto svc-default/web/tcp/p",
		"goto local-default/web/tcp/p")
	wantRules(t, h.rules("local-default/web/tcp/p"), "numgen random mod 1 vmap { 0 : goto ep-default/web/tcp/p__10.244.1.2/8080 }")
	// The ClusterIP still reaches every endpoint.
	if got := h.rules("svc-default/web/tcp/p"); !strings.Contains(got[len(got)-1], "mod 2") {
		t.Errorf("service chain: %q", got)
	}
	// No local endpoint: external traffic is dropped, not rejected.
	got := h.rules("ext-default/far/tcp/p")
	if got[len(got)-1] != "drop" {
		t.Errorf("ext chain without local endpoints: %q", got)
	}
	if e := h.element(mapNoEPNodePorts, "tcp", "30081"); e != "" {
		t.Errorf("nodeport with remote endpoints rejected: %q", e)
	}
}

func TestSessionAffinity(t *testing.T) {
	h := newHarness(t, Config{})
	h.svcs.items = []*corev1.Service{service("web", "10.96.0.5", corev1.ProtocolTCP, 80, clientIPAffinity(600))}
	h.slcs.items = []*discoveryv1.EndpointSlice{slice("web", corev1.ProtocolTCP, 8080, ep{ip: "10.244.1.2"}, ep{ip: "10.244.1.3"})}
	h.sync()
	wantRules(t, h.rules("svc-default/web/tcp/p"),
		"ip saddr @aff-default/web/tcp/p__10.244.1.2/8080 goto ep-default/web/tcp/p__10.244.1.2/8080",
		"ip saddr @aff-default/web/tcp/p__10.244.1.3/8080 goto ep-default/web/tcp/p__10.244.1.3/8080",
		"numgen random mod 2 vmap { 0 : goto ep-default/web/tcp/p__10.244.1.2/8080 , 1 : goto ep-default/web/tcp/p__10.244.1.3/8080 }")
	wantRules(t, h.rules("ep-default/web/tcp/p__10.244.1.2/8080"),
		"ip saddr 10.244.1.2 jump mark-for-masquerade",
		"update @aff-default/web/tcp/p__10.244.1.2/8080 { ip saddr }",
		"meta l4proto tcp dnat ip to 10.244.1.2:8080")
	set := h.nft.Table.Sets["aff-default/web/tcp/p__10.244.1.2/8080"]
	if set == nil || set.Timeout == nil || set.Timeout.Seconds() != 600 || !slices.Contains(set.Flags, knftables.TimeoutFlag) {
		t.Fatalf("affinity set: %+v\n%s", set, h.nft.Dump())
	}
	// The sets are kept across syncs (they hold the affinity), and
	// deleted with their endpoint.
	h.nft.Table.Sets["aff-default/web/tcp/p__10.244.1.2/8080"].Elements = []*knftables.Element{{Key: []string{"10.0.0.1"}}}
	h.slcs.items = []*discoveryv1.EndpointSlice{slice("web", corev1.ProtocolTCP, 8080, ep{ip: "10.244.1.2"})}
	h.sync()
	if s := h.nft.Table.Sets["aff-default/web/tcp/p__10.244.1.2/8080"]; s == nil || len(s.Elements) != 1 {
		t.Errorf("affinity state lost by a sync: %+v", s)
	}
	if s := h.nft.Table.Sets["aff-default/web/tcp/p__10.244.1.3/8080"]; s != nil {
		t.Errorf("affinity set of a removed endpoint kept")
	}
}

func TestNotReadyAndTerminatingExcluded(t *testing.T) {
	h := newHarness(t, Config{})
	h.svcs.items = []*corev1.Service{service("web", "10.96.0.5", corev1.ProtocolTCP, 80)}
	h.slcs.items = []*discoveryv1.EndpointSlice{slice("web", corev1.ProtocolTCP, 8080,
		ep{ip: "10.244.1.2"}, ep{ip: "10.244.1.3", notReady: true}, ep{ip: "10.244.1.4", terminating: true})}
	h.sync()
	wantRules(t, h.chainsWithPrefix("ep-"), "ep-default/web/tcp/p__10.244.1.2/8080")
	// Only unready endpoints: rejected.
	h.slcs.items = []*discoveryv1.EndpointSlice{slice("web", corev1.ProtocolTCP, 8080, ep{ip: "10.244.1.3", notReady: true})}
	h.sync()
	if got := h.element(mapNoEPServices, "10.96.0.5", "tcp", "80"); got != "goto reject-chain" {
		t.Errorf("service with only unready endpoints: %q\n%s", got, h.nft.Dump())
	}
	if got := h.chainsWithPrefix("ep-"); len(got) != 0 {
		t.Errorf("endpoint chains left: %q", got)
	}
}

func TestServiceDeletedChainsGone(t *testing.T) {
	h := newHarness(t, Config{})
	h.svcs.items = []*corev1.Service{
		service("web", "10.96.0.5", corev1.ProtocolTCP, 80, nodePort(30080), clientIPAffinity(60)),
		service("db", "10.96.0.6", corev1.ProtocolTCP, 5432),
	}
	h.slcs.items = []*discoveryv1.EndpointSlice{
		slice("web", corev1.ProtocolTCP, 8080, ep{ip: "10.244.1.2"}),
		slice("db", corev1.ProtocolTCP, 5432, ep{ip: "10.244.1.9"}),
	}
	h.sync()
	h.svcs.items = h.svcs.items[1:]
	h.sync()
	for name := range h.nft.Table.Chains {
		if strings.Contains(name, "/web/") {
			t.Errorf("chain %q of a deleted service left", name)
		}
	}
	for name := range h.nft.Table.Sets {
		t.Errorf("set %q of a deleted service left", name)
	}
	if got := h.element(mapServiceIPs, "10.96.0.5", "tcp", "80"); got != "" {
		t.Errorf("service-ips keeps a deleted service: %q", got)
	}
	if got := h.element(mapServiceIPs, "10.96.0.6", "tcp", "5432"); got == "" {
		t.Errorf("the other service is gone")
	}
	// A proxy that starts over an existing table finds what to delete.
	h.svcs.items = nil
	fresh := New(h.nft, h.ct, h.svcs, h.slcs, Config{})
	if _, err := fresh.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := h.chainsWithPrefix("svc-"); len(got) != 0 {
		t.Errorf("a restarted proxy left %q", got)
	}
}

func TestUDPEndpointRemovalDeletesConntrack(t *testing.T) {
	h := newHarness(t, Config{})
	h.svcs.items = []*corev1.Service{
		service("dns", "10.96.0.10", corev1.ProtocolUDP, 53, nodePort(30053)),
		service("web", "10.96.0.5", corev1.ProtocolTCP, 80),
	}
	h.slcs.items = []*discoveryv1.EndpointSlice{
		slice("dns", corev1.ProtocolUDP, 5353, ep{ip: "10.244.1.2"}, ep{ip: "10.244.1.3"}),
		slice("web", corev1.ProtocolTCP, 8080, ep{ip: "10.244.1.4"}),
	}
	h.sync()
	if len(h.ct.deleted) != 0 {
		t.Fatalf("first sync deleted %v", h.ct.deleted)
	}
	// One UDP endpoint and the TCP one go away.
	h.slcs.items = []*discoveryv1.EndpointSlice{slice("dns", corev1.ProtocolUDP, 5353, ep{ip: "10.244.1.2"})}
	h.sync()
	gone := netip.MustParseAddr("10.244.1.3")
	want := []Flow{
		{Dst: netip.MustParseAddr("10.96.0.10"), DstPort: 53, ReplySrc: gone},
		{DstPort: 30053, ReplySrc: gone},
	}
	if !slices.Equal(h.ct.deleted, want) {
		t.Errorf("deleted %v, want %v", h.ct.deleted, want)
	}
	// No endpoints, then one again: flows stuck on the bare service IP go.
	h.ct.deleted = nil
	h.slcs.items = nil
	h.sync()
	h.ct.deleted = nil
	h.slcs.items = []*discoveryv1.EndpointSlice{slice("dns", corev1.ProtocolUDP, 5353, ep{ip: "10.244.1.5"})}
	h.sync()
	want = []Flow{{Dst: netip.MustParseAddr("10.96.0.10"), DstPort: 53}, {DstPort: 30053}}
	if !slices.Equal(h.ct.deleted, want) {
		t.Errorf("deleted %v, want %v", h.ct.deleted, want)
	}
}

func TestSkipsWhatItDoesNotServe(t *testing.T) {
	headless := service("headless", corev1.ClusterIPNone, corev1.ProtocolTCP, 80)
	external := service("ext", "", corev1.ProtocolTCP, 80)
	external.Spec.Type = corev1.ServiceTypeExternalName
	got := buildModel([]*corev1.Service{headless, external}, nil, "n1")
	if len(got) != 0 {
		t.Errorf("model: %+v", got)
	}
}

func TestSyncWritesOnlyWhatChanged(t *testing.T) {
	h := newHarness(t, Config{})
	h.svcs.items = []*corev1.Service{
		service("web", "10.96.0.5", corev1.ProtocolTCP, 80),
		service("db", "10.96.0.6", corev1.ProtocolTCP, 5432),
	}
	h.slcs.items = []*discoveryv1.EndpointSlice{
		slice("web", corev1.ProtocolTCP, 8080, ep{ip: "10.244.1.2"}),
		slice("db", corev1.ProtocolTCP, 5432, ep{ip: "10.244.1.9"}),
	}
	h.sync()
	full := h.nft.LastTransaction.NumOperations()
	want := h.nft.Dump()

	h.sync() // nothing changed: the table and its maps are only declared
	if n := h.nft.LastTransaction.NumOperations(); n != 1+len(fixedMaps) {
		t.Errorf("unchanged resync: %d operations:\n%s", n, h.nft.LastTransaction)
	}
	// One endpoint of one service changes: its chains and one map only.
	h.slcs.items[0] = slice("web", corev1.ProtocolTCP, 8080, ep{ip: "10.244.1.3"})
	h.sync()
	tx := h.nft.LastTransaction.String()
	if strings.Contains(tx, "/db/") || !strings.Contains(tx, "delete chain inet skiff-proxy ep-default/web/tcp/p__10.244.1.2/8080") {
		t.Errorf("one endpoint changed:\n%s", tx)
	}
	// Someone changes the table behind the proxy's back: the next full
	// resync repairs it.
	h.slcs.items[0] = slice("web", corev1.ProtocolTCP, 8080, ep{ip: "10.244.1.2"})
	h.sync()
	h.nft.Table.Chains["svc-default/db/tcp/p"].Rules = nil
	h.proxy.ResyncAll()
	h.sync()
	if n := h.nft.LastTransaction.NumOperations(); n < full {
		t.Errorf("full resync: %d operations, first sync %d", n, full)
	}
	if got := h.nft.Dump(); got != want {
		t.Errorf("after the full resync:\n%s\nwant:\n%s", got, want)
	}
}

func internalLocal(s *corev1.Service) {
	p := corev1.ServiceInternalTrafficPolicyLocal
	s.Spec.InternalTrafficPolicy = &p
}

func TestInternalTrafficPolicyLocal(t *testing.T) {
	const (
		svc   = "svc-default/web/tcp/p"
		local = "local-default/web/tcp/p"
		ep1   = "ep-default/web/tcp/p__10.244.1.2/8080" // on n1
		ep2   = "ep-default/web/tcp/p__10.244.2.2/8080" // on n2
	)
	both := slice("web", corev1.ProtocolTCP, 8080, ep{ip: "10.244.1.2", node: "n1"}, ep{ip: "10.244.2.2", node: "n2"})
	remote := slice("web", corev1.ProtocolTCP, 8080, ep{ip: "10.244.2.2", node: "n2"})
	tests := []struct {
		name      string
		svc       *corev1.Service
		slice     *discoveryv1.EndpointSlice
		clusterIP string // the service-ips verdict
		noEP      string // the no-endpoint-services verdict
		chains    []string
		localRule []string // local-'s rules, when it is among chains
	}{
		{
			name: "local endpoint", svc: service("web", "10.96.0.5", corev1.ProtocolTCP, 80, internalLocal), slice: both,
			clusterIP: "goto " + local, chains: []string{ep1, local},
			localRule: []string{
				"ip daddr 10.96.0.5 ip saddr != 10.244.0.0/16 jump mark-for-masquerade",
				"numgen random mod 1 vmap { 0 : goto " + ep1 + " }",
			},
		},
		{
			name: "no local endpoint: dropped, not rejected", svc: service("web", "10.96.0.5", corev1.ProtocolTCP, 80, internalLocal), slice: remote,
			noEP: "drop",
		},
		{
			name: "no endpoint at all: rejected", svc: service("web", "10.96.0.5", corev1.ProtocolTCP, 80, internalLocal),
			noEP: "goto reject-chain",
		},
		{
			name: "a NodePort keeps the cluster-wide chain", svc: service("web", "10.96.0.5", corev1.ProtocolTCP, 80, internalLocal, nodePort(30080)), slice: both,
			clusterIP: "goto " + local, chains: []string{ep1, ep2, local, svc},
			localRule: []string{
				"ip daddr 10.96.0.5 ip saddr != 10.244.0.0/16 jump mark-for-masquerade",
				"numgen random mod 1 vmap { 0 : goto " + ep1 + " }",
			},
		},
		{
			name: "policy Cluster", svc: service("web", "10.96.0.5", corev1.ProtocolTCP, 80), slice: both,
			clusterIP: "goto " + svc, chains: []string{ep1, ep2, svc},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := oneService(t, tc.svc, tc.slice)
			h.wantVerdicts("10.96.0.5", tc.clusterIP, tc.noEP)
			var chains []string
			for _, prefix := range []string{"ep-", "local-", "svc-"} {
				chains = append(chains, h.chainsWithPrefix(prefix)...)
			}
			wantRules(t, chains, tc.chains...)
			if tc.localRule != nil {
				wantRules(t, h.rules(local), tc.localRule...)
			}
		})
	}
}

func externalIPs(ips ...string) svcOpt {
	return func(s *corev1.Service) { s.Spec.ExternalIPs = ips }
}

func TestExternalIPs(t *testing.T) {
	const (
		ext   = "ext-default/web/tcp/p"
		svc   = "svc-default/web/tcp/p"
		local = "local-default/web/tcp/p"
	)
	both := slice("web", corev1.ProtocolTCP, 8080, ep{ip: "10.244.1.2", node: "n1"}, ep{ip: "10.244.2.2", node: "n2"})
	remote := slice("web", corev1.ProtocolTCP, 8080, ep{ip: "10.244.2.2", node: "n2"})
	extIPs := externalIPs("192.0.2.10", "fd00::10", "192.0.2.10", "bogus", "192.0.2.11")
	tests := []struct {
		name     string
		svc      *corev1.Service
		slice    *discoveryv1.EndpointSlice
		external string   // the service-ips verdict of each IPv4 external IP
		noEP     string   // the no-endpoint-services verdict of each
		extRules []string // nil: no ext- chain
	}{
		{
			name: "policy Cluster: masqueraded, any endpoint", svc: service("web", "10.96.0.5", corev1.ProtocolTCP, 80, extIPs), slice: both,
			external: "goto " + ext, extRules: []string{"jump mark-for-masquerade", "goto " + svc},
		},
		{
			name: "policy Local: this node's endpoints, source kept", slice: both,
			svc:      service("web", "10.96.0.5", corev1.ProtocolTCP, 80, extIPs, localPolicy),
			external: "goto " + ext,
			extRules: []string{
				"fib saddr type local jump mark-for-masquerade",
				"fib saddr type local goto " + svc,
				"ip saddr 10.244.0.0/16 goto " + svc,
				"goto " + local,
			},
		},
		{
			name: "policy Local without a local endpoint: dropped from outside", slice: remote,
			svc:      service("web", "10.96.0.5", corev1.ProtocolTCP, 80, extIPs, localPolicy),
			external: "goto " + ext,
			extRules: []string{
				"fib saddr type local jump mark-for-masquerade",
				"fib saddr type local goto " + svc,
				"ip saddr 10.244.0.0/16 goto " + svc,
				"drop",
			},
		},
		{
			name: "no endpoints: rejected", svc: service("web", "10.96.0.5", corev1.ProtocolTCP, 80, extIPs),
			noEP: "goto reject-chain",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := oneService(t, tc.svc, tc.slice)
			for _, ip := range []string{"192.0.2.10", "192.0.2.11"} {
				h.wantVerdicts(ip, tc.external, tc.noEP)
			}
			if n := len(h.nft.Table.Maps[mapServiceIPs].Elements) + len(h.nft.Table.Maps[mapNoEPServices].Elements); n != 3 {
				t.Errorf("%d service elements, want 3 (the ClusterIP, two external IPs):\n%s", n, h.nft.Dump())
			}
			if tc.extRules == nil {
				if got := h.chainsWithPrefix("ext-"); len(got) != 0 {
					t.Errorf("ext chains: %q", got)
				}
				return
			}
			wantRules(t, h.rules(ext), tc.extRules...)
			if got := h.element(mapServiceIPs, "10.96.0.5", "tcp", "80"); got != "goto "+svc {
				t.Errorf("the ClusterIP: %q", got)
			}
		})
	}
}

func TestUDPExternalIPConntrack(t *testing.T) {
	h := newHarness(t, Config{})
	h.svcs.items = []*corev1.Service{service("dns", "10.96.0.10", corev1.ProtocolUDP, 53, externalIPs("192.0.2.53"))}
	h.slcs.items = []*discoveryv1.EndpointSlice{slice("dns", corev1.ProtocolUDP, 5353, ep{ip: "10.244.1.2"}, ep{ip: "10.244.1.3"})}
	h.sync()
	h.slcs.items = []*discoveryv1.EndpointSlice{slice("dns", corev1.ProtocolUDP, 5353, ep{ip: "10.244.1.2"})}
	h.sync()
	gone := netip.MustParseAddr("10.244.1.3")
	want := []Flow{
		{Dst: netip.MustParseAddr("10.96.0.10"), DstPort: 53, ReplySrc: gone},
		{Dst: netip.MustParseAddr("192.0.2.53"), DstPort: 53, ReplySrc: gone},
	}
	if !slices.Equal(h.ct.deleted, want) {
		t.Errorf("deleted %v, want %v", h.ct.deleted, want)
	}
}

// loadBalancer makes the service a LoadBalancer with node port np (0:
// none) and the ingress points; an ip prefixed with "proxy:" has ipMode
// Proxy.
func loadBalancer(np int32, ingress ...string) svcOpt {
	return func(s *corev1.Service) {
		s.Spec.Type = corev1.ServiceTypeLoadBalancer
		s.Spec.Ports[0].NodePort = np
		for _, ip := range ingress {
			in := corev1.LoadBalancerIngress{IP: ip}
			if rest, ok := strings.CutPrefix(ip, "proxy:"); ok {
				in = corev1.LoadBalancerIngress{IP: rest, IPMode: knftables.PtrTo(corev1.LoadBalancerIPModeProxy)}
			}
			s.Status.LoadBalancer.Ingress = append(s.Status.LoadBalancer.Ingress, in)
		}
	}
}

func sourceRangesOpt(ranges ...string) svcOpt {
	return func(s *corev1.Service) { s.Spec.LoadBalancerSourceRanges = ranges }
}

func TestLoadBalancer(t *testing.T) {
	const (
		ext = "ext-default/web/tcp/p"
		fw  = "fw-default/web/tcp/p"
	)
	eps := slice("web", corev1.ProtocolTCP, 8080, ep{ip: "10.244.1.2", node: "n1"})
	ingress := []string{"192.0.2.20", "fd00::20", "proxy:192.0.2.21", "192.0.2.22"}
	annotated := func(s *corev1.Service) {
		s.Annotations = map[string]string{annotationSourceRanges: "10.1.0.0/16 , 198.51.100.7/32"}
	}
	tests := []struct {
		name     string
		svc      *corev1.Service
		slice    *discoveryv1.EndpointSlice
		lbIP     string // service-ips verdict of 192.0.2.20 and .22
		noEP     string // no-endpoint-services verdict of the same
		nodePort string // service-nodeports verdict of 30080
		fwRules  []string
	}{
		{
			name: "node port and ingress IPs", svc: service("web", "10.96.0.5", corev1.ProtocolTCP, 80, loadBalancer(30080, ingress...)), slice: eps,
			lbIP: "goto " + ext, nodePort: "goto " + ext,
		},
		{
			name: "allocateLoadBalancerNodePorts false: no node port", svc: service("web", "10.96.0.5", corev1.ProtocolTCP, 80, loadBalancer(0, ingress...)), slice: eps,
			lbIP: "goto " + ext,
		},
		{
			name: "no endpoints: rejected", svc: service("web", "10.96.0.5", corev1.ProtocolTCP, 80, loadBalancer(30080, ingress...)),
			noEP: "goto reject-chain",
		},
		{
			name:  "loadBalancerSourceRanges",
			svc:   service("web", "10.96.0.5", corev1.ProtocolTCP, 80, loadBalancer(0, ingress...), sourceRangesOpt("10.0.0.0/8", "fd00::/8", "192.168.1.1/16")),
			slice: eps, lbIP: "goto " + ext,
			fwRules: []string{"ip saddr != { 10.0.0.0/8, 192.168.0.0/16 } drop"},
		},
		{
			name:  "source ranges in the annotation",
			svc:   service("web", "10.96.0.5", corev1.ProtocolTCP, 80, loadBalancer(0, ingress...), annotated),
			slice: eps, lbIP: "goto " + ext,
			fwRules: []string{"ip saddr != { 10.1.0.0/16, 198.51.100.7/32 } drop"},
		},
		{
			name:  "a ClusterIP service's stale ingress is ignored",
			svc:   service("web", "10.96.0.5", corev1.ProtocolTCP, 80, loadBalancer(0, ingress...), func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeClusterIP }),
			slice: eps,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := oneService(t, tc.svc, tc.slice)
			for _, ip := range []string{"192.0.2.20", "192.0.2.22"} {
				h.wantVerdicts(ip, tc.lbIP, tc.noEP)
				want := ""
				if tc.fwRules != nil {
					want = "goto " + fw
				}
				if got := h.element(mapFirewallIPs, ip, "tcp", "80"); got != want {
					t.Errorf("firewall-ips %s: %q, want %q", ip, got, want)
				}
			}
			// ipMode Proxy: the load balancer sends to a node port.
			for _, m := range []string{mapServiceIPs, mapNoEPServices, mapFirewallIPs} {
				if got := h.element(m, "192.0.2.21", "tcp", "80"); got != "" {
					t.Errorf("%s has the ipMode Proxy address: %q", m, got)
				}
			}
			if got := h.element(mapNodePorts, "tcp", "30080"); got != tc.nodePort {
				t.Errorf("service-nodeports: %q, want %q", got, tc.nodePort)
			}
			if tc.fwRules != nil {
				wantRules(t, h.rules(fw), tc.fwRules...)
				wantRules(t, h.rules("filter-prerouting-pre-dnat"),
					"ct state new ip daddr . meta l4proto . th dport vmap @firewall-ips",
					"ct state new ip6 daddr . meta l4proto . th dport vmap @firewall-ips-ipv6")
			} else if got := h.chainsWithPrefix("fw-"); len(got) != 0 {
				t.Errorf("firewall chains: %q", got)
			}
		})
	}
}

func slice6(svc string, proto corev1.Protocol, port int32, eps ...ep) *discoveryv1.EndpointSlice {
	s := slice(svc, proto, port, eps...)
	s.Name += "-v6"
	s.AddressType = discoveryv1.AddressTypeIPv6
	return s
}

func dualStack(v6 string) svcOpt {
	return func(s *corev1.Service) { s.Spec.ClusterIPs = []string{s.Spec.ClusterIP, v6} }
}

var cidr6 = netip.MustParsePrefix("fd00:244::/56")

func TestDualStack(t *testing.T) {
	h := newHarness(t, Config{NodeName: "n1", ClusterCIDRs: []netip.Prefix{cidr, cidr6}})
	h.svcs.items = []*corev1.Service{
		service("web", "10.96.0.5", corev1.ProtocolTCP, 80, dualStack("fd00:96::5"), nodePort(30080), clientIPAffinity(60), externalIPs("192.0.2.5", "2001:db8::5")),
		service("six", "fd00:96::6", corev1.ProtocolUDP, 53),
	}
	h.slcs.items = []*discoveryv1.EndpointSlice{
		slice("web", corev1.ProtocolTCP, 8080, ep{ip: "10.244.1.2"}, ep{ip: "fd00:244::9"}),
		slice6("web", corev1.ProtocolTCP, 8080, ep{ip: "fd00:244::2"}, ep{ip: "10.244.1.9"}),
		slice6("six", corev1.ProtocolUDP, 5353, ep{ip: "fd00:244::3"}),
	}
	h.sync()
	const (
		ep6 = "ep-default/web/tcp/p/ipv6__fd00.244..2/8080"
		aff = "aff-default/web/tcp/p/ipv6__fd00.244..2/8080"
	)
	elements := []struct {
		m, want string
		key     []string
	}{
		{mapServiceIPs, "goto svc-default/web/tcp/p", []string{"10.96.0.5", "tcp", "80"}},
		{mapServiceIPs, "goto ext-default/web/tcp/p", []string{"192.0.2.5", "tcp", "80"}},
		{mapServiceIPs + "-ipv6", "goto svc-default/web/tcp/p/ipv6", []string{"fd00:96::5", "tcp", "80"}},
		{mapServiceIPs + "-ipv6", "goto ext-default/web/tcp/p/ipv6", []string{"2001:db8::5", "tcp", "80"}},
		{mapServiceIPs + "-ipv6", "goto svc-default/six/udp/p/ipv6", []string{"fd00:96::6", "udp", "53"}},
		{mapNodePorts, "goto ext-default/web/tcp/p", []string{"tcp", "30080"}},
		{mapNodePorts + "-ipv6", "goto ext-default/web/tcp/p/ipv6", []string{"tcp", "30080"}},
	}
	for _, e := range elements {
		if got := h.element(e.m, e.key...); got != e.want {
			t.Errorf("%s %v: %q, want %q", e.m, e.key, got, e.want)
		}
	}
	// Each family's endpoints come from its own slices only.
	wantRules(t, h.chainsWithPrefix("ep-default/web/"),
		"ep-default/web/tcp/p/ipv6__fd00.244..2/8080", "ep-default/web/tcp/p__10.244.1.2/8080")
	wantRules(t, h.rules("svc-default/web/tcp/p/ipv6"),
		"ip6 saddr != fd00:244::/56 jump mark-for-masquerade",
		"ip6 saddr @"+aff+" goto "+ep6,
		"numgen random mod 1 vmap { 0 : goto "+ep6+" }")
	wantRules(t, h.rules(ep6),
		"ip6 saddr fd00:244::2 jump mark-for-masquerade",
		"update @"+aff+" { ip6 saddr }",
		"meta l4proto tcp dnat ip6 to [fd00:244::2]:8080")
	if s := h.nft.Table.Sets[aff]; s == nil || s.Type != "ipv6_addr" {
		t.Errorf("affinity set: %+v", s)
	}
	wantRules(t, h.rules("services"),
		"ip daddr . meta l4proto . th dport vmap @service-ips",
		"fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports",
		"ip6 daddr . meta l4proto . th dport vmap @service-ips-ipv6",
		"fib daddr type local ip6 daddr != ::1 meta l4proto . th dport vmap @service-nodeports-ipv6")

	// An IPv6 UDP endpoint goes: its IPv6 flows are deleted.
	h.slcs.items[2] = slice6("six", corev1.ProtocolUDP, 5353, ep{ip: "fd00:244::4"})
	h.sync()
	want := []Flow{{IPv6: true, Dst: netip.MustParseAddr("fd00:96::6"), DstPort: 53, ReplySrc: netip.MustParseAddr("fd00:244::3")}}
	if !slices.Equal(h.ct.deleted, want) {
		t.Errorf("deleted %v, want %v", h.ct.deleted, want)
	}
}
