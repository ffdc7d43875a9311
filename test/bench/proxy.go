package main

import (
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/vishvananda/netns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/skiffrt/skiff/controlplane/proxy"
	"github.com/skiffrt/skiff/test/bench/report"
)

// proxySuite measures the service proxy's rule sync: skiff's whole sync
// (listers to one nft transaction through knftables) against the same
// ruleset in kube-proxy's iptables shape (KUBE-SVC / KUBE-SEP chains)
// through iptables-restore, in a network namespace of its own.
type proxySuite struct {
	opts options
}

func (s *proxySuite) name() string  { return "proxy" }
func (s *proxySuite) block() string { return "proxy" }

// proxyRepeats is how many times each resync is measured; the median is
// reported.
const proxyRepeats = 5

func (s *proxySuite) size() (services, endpoints int) {
	if s.opts.quick {
		return 100, 10
	}
	return 1000, 10
}

func (s *proxySuite) run(ctx context.Context, r *report.Run) error {
	nsvc, neps := s.size()
	ns, err := newBenchNS()
	if err != nil {
		return fmt.Errorf("netns: %w", err)
	}
	defer ns.Close()
	restore := "iptables-restore"
	delete(r.Versions, "runc (reference)") // the node suite's
	delete(r.Versions, "CNI plugins")
	r.Versions["nft"] = output("nft", "--version")
	r.Versions["iptables-restore"] = output(restore, "--version")
	t := r.NewTable(fmt.Sprintf("Service proxy: rule sync of %d services × %d endpoints", nsvc, neps),
		"skiff (knftables)", "iptables-restore")
	fmt.Printf("bench: proxy: %d services × %d endpoints, in a throwaway netns\n", nsvc, neps)
	if err := inBenchNS(ns, func() error { return s.nftables(ctx, t, nsvc, neps) }); err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	if err := inBenchNS(ns, func() error { return s.iptables(ctx, t, restore, nsvc, neps) }); err != nil {
		return fmt.Errorf("iptables-restore: %w", err)
	}
	return nil
}

var (
	figFirstSync = report.Figure{Key: "proxy_first_sync", Title: "first sync, empty table", Unit: "ms"}
	figResync    = report.Figure{Key: "proxy_full_resync", Title: "full resync, nothing changed (the periodic one; median of 5)", Unit: "ms"}
	figOneChange = report.Figure{Key: "proxy_one_endpoint", Title: "sync of one changed endpoint, changed chains only (median of 5)", Unit: "ms"}
	figNFTShare  = report.Figure{Key: "proxy_one_endpoint_nft", Title: "… of which the nft run (median of 5)", Unit: "ms"}
	figRules     = report.Figure{Key: "proxy_size", Title: "size of a full sync's input", Unit: "lines"}
)

const skiffSubject, iptSubject = "skiff (knftables)", "iptables-restore"

// nftables runs skiff's proxy over listers holding the services.
func (s *proxySuite) nftables(ctx context.Context, t *report.Table, nsvc, neps int) error {
	nft, err := proxy.NewNFTables()
	if err != nil {
		return err
	}
	svcs, slcs := benchServices(nsvc, neps)
	sl := &benchSlices{items: slcs}
	p := proxy.New(nft, proxy.NetlinkConntrack{}, benchServiceList(svcs), sl, proxy.Config{
		NodeName: "bench", ClusterCIDRs: []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16")},
	})
	defer proxy.Cleanup(context.WithoutCancel(ctx), nft)
	res, err := p.Sync(ctx)
	if err != nil {
		return err
	}
	t.Set(figFirstSync, skiffSubject, ms(res.Duration))
	t.Set(figRules, skiffSubject, float64(res.Operations))
	var same, changed, inNFT []float64
	for i := range proxyRepeats {
		p.ResyncAll()
		if res, err = p.Sync(ctx); err != nil {
			return err
		}
		same = append(same, ms(res.Duration))
		sl.items[0] = benchSlice(0, neps, i+1)
		if res, err = p.Sync(ctx); err != nil {
			return err
		}
		changed = append(changed, ms(res.Duration))
		inNFT = append(inNFT, ms(res.NFT))
	}
	t.Set(figResync, skiffSubject, median(same))
	t.Set(figOneChange, skiffSubject, median(changed))
	t.Set(figNFTShare, skiffSubject, median(inNFT))
	return nil
}

// iptables applies the same ruleset in kube-proxy's iptables shape.
func (s *proxySuite) iptables(ctx context.Context, t *report.Table, restore string, nsvc, neps int) error {
	run := func(input string, args ...string) (time.Duration, error) {
		cmd := exec.CommandContext(ctx, restore, args...)
		cmd.Stdin = strings.NewReader(input)
		start := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil {
			return 0, fmt.Errorf("%w: %s", err, out)
		}
		return time.Since(start), nil
	}
	// The jumps from the built-in chains, once, as kube-proxy adds them.
	if _, err := run(iptablesHooks); err != nil {
		return err
	}
	defer run("*nat\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n")
	first := iptablesRules(nsvc, neps, 0, 0)
	d, err := run(first, "--noflush")
	if err != nil {
		return err
	}
	t.Set(figFirstSync, iptSubject, ms(d))
	t.Set(figRules, iptSubject, float64(strings.Count(first, "\n")))
	var same, changed []float64
	for i := range proxyRepeats {
		if d, err = run(iptablesRules(nsvc, neps, i, i), "--noflush"); err != nil {
			return err
		}
		same = append(same, ms(d))
		if d, err = run(iptablesChange(neps, i+1, i), "--noflush"); err != nil {
			return err
		}
		changed = append(changed, ms(d))
	}
	t.Set(figResync, iptSubject, median(same))
	t.Set(figOneChange, iptSubject, median(changed))
	return nil
}

const iptablesHooks = `*nat
:KUBE-SERVICES - [0:0]
:KUBE-POSTROUTING - [0:0]
-A PREROUTING -j KUBE-SERVICES
-A OUTPUT -j KUBE-SERVICES
-A POSTROUTING -j KUBE-POSTROUTING
COMMIT
`

// iptablesRules is the nat table input kube-proxy's iptables mode would
// write for the services: every chain it owns declared (so flushed) and
// filled again. The first service's first endpoint is generation gen;
// the chain of generation old is deleted when gen moved on.
func iptablesRules(nsvc, neps, gen, old int) string {
	var b strings.Builder
	b.WriteString("*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-POSTROUTING - [0:0]\n:KUBE-MARK-MASQ - [0:0]\n:KUBE-NODEPORTS - [0:0]\n")
	sepName := func(i, j int) string {
		if i == 0 && j == 0 {
			return fmt.Sprintf("KUBE-SEP-%05d-%02d-%d", i, j, gen)
		}
		return fmt.Sprintf("KUBE-SEP-%05d-%02d", i, j)
	}
	for i := range nsvc {
		fmt.Fprintf(&b, ":KUBE-SVC-%05d - [0:0]\n", i)
		for j := range neps {
			fmt.Fprintf(&b, ":%s - [0:0]\n", sepName(i, j))
		}
	}
	if gen != old { // declared, so emptied, before it is deleted below
		fmt.Fprintf(&b, ":KUBE-SEP-00000-00-%d - [0:0]\n", old)
	}
	b.WriteString("-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000\n")
	b.WriteString("-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN\n")
	b.WriteString("-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0\n")
	b.WriteString("-A KUBE-POSTROUTING -j MASQUERADE --random-fully\n")
	for i := range nsvc {
		ip := serviceAddr(i)
		fmt.Fprintf(&b, "-A KUBE-SERVICES -d %s/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-%05d\n", ip, i)
		fmt.Fprintf(&b, "-A KUBE-SVC-%05d ! -s 10.244.0.0/16 -d %s/32 -p tcp -m tcp --dport 80 -j KUBE-MARK-MASQ\n", i, ip)
		for j := range neps {
			if j < neps-1 {
				fmt.Fprintf(&b, "-A KUBE-SVC-%05d -m statistic --mode random --probability %.10f -j %s\n", i, 1/float64(neps-j), sepName(i, j))
			} else {
				fmt.Fprintf(&b, "-A KUBE-SVC-%05d -j %s\n", i, sepName(i, j))
			}
			ep := endpointAddr(i, j, genOf(i, j, gen))
			fmt.Fprintf(&b, "-A %s -s %s/32 -j KUBE-MARK-MASQ\n", sepName(i, j), ep)
			fmt.Fprintf(&b, "-A %s -p tcp -m tcp -j DNAT --to-destination %s:8080\n", sepName(i, j), ep)
		}
	}
	b.WriteString("-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS\n")
	if gen != old {
		fmt.Fprintf(&b, "-X KUBE-SEP-00000-00-%d\n", old)
	}
	b.WriteString("COMMIT\n")
	return b.String()
}

// iptablesChange is the input of kube-proxy's minimised iptables sync
// when the first service's first endpoint moved from generation old to
// gen: the service's chain, the new endpoint chain, the old one deleted.
func iptablesChange(neps, gen, old int) string {
	var b strings.Builder
	newSEP, oldSEP := fmt.Sprintf("KUBE-SEP-00000-00-%d", gen), fmt.Sprintf("KUBE-SEP-00000-00-%d", old)
	fmt.Fprintf(&b, "*nat\n:KUBE-SVC-00000 - [0:0]\n:%s - [0:0]\n:%s - [0:0]\n", newSEP, oldSEP)
	ip := serviceAddr(0)
	fmt.Fprintf(&b, "-A KUBE-SVC-00000 ! -s 10.244.0.0/16 -d %s/32 -p tcp -m tcp --dport 80 -j KUBE-MARK-MASQ\n", ip)
	for j := range neps {
		sep := fmt.Sprintf("KUBE-SEP-%05d-%02d", 0, j)
		if j == 0 {
			sep = newSEP
		}
		if j < neps-1 {
			fmt.Fprintf(&b, "-A KUBE-SVC-00000 -m statistic --mode random --probability %.10f -j %s\n", 1/float64(neps-j), sep)
		} else {
			fmt.Fprintf(&b, "-A KUBE-SVC-00000 -j %s\n", sep)
		}
	}
	ep := endpointAddr(0, 0, gen)
	fmt.Fprintf(&b, "-A %s -s %s/32 -j KUBE-MARK-MASQ\n", newSEP, ep)
	fmt.Fprintf(&b, "-A %s -p tcp -m tcp -j DNAT --to-destination %s:8080\n", newSEP, ep)
	fmt.Fprintf(&b, "-X %s\nCOMMIT\n", oldSEP)
	return b.String()
}

func genOf(i, j, gen int) int {
	if i == 0 && j == 0 {
		return gen
	}
	return 0
}

// serviceAddr is service i's ClusterIP in 10.96.0.0/16.
func serviceAddr(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, 96, byte((i + 1) >> 8), byte(i + 1)})
}

// endpointAddr is endpoint j of service i in 10.244.0.0/16; generation
// gen > 0 moves it to 10.245.0.0/16 (a changed endpoint).
func endpointAddr(i, j, gen int) netip.Addr {
	n := i*16 + j + 1
	return netip.AddrFrom4([4]byte{10, byte(244 + gen%8), byte(n >> 8), byte(n)})
}

func benchServices(nsvc, neps int) ([]*corev1.Service, []*discoveryv1.EndpointSlice) {
	var svcs []*corev1.Service
	var slcs []*discoveryv1.EndpointSlice
	for i := range nsvc {
		svcs = append(svcs, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: "bench", Name: fmt.Sprintf("svc-%05d", i)},
			Spec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeClusterIP, ClusterIP: serviceAddr(i).String(),
				Ports: []corev1.ServicePort{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80}},
			},
		})
		slcs = append(slcs, benchSlice(i, neps, 0))
	}
	return svcs, slcs
}

// benchSlice is service i's slice; generation gen changes its first
// endpoint.
func benchSlice(i, neps, gen int) *discoveryv1.EndpointSlice {
	name, proto, port := "http", corev1.ProtocolTCP, int32(8080)
	s := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: "bench", Name: fmt.Sprintf("svc-%05d-x", i),
			Labels: map[string]string{discoveryv1.LabelServiceName: fmt.Sprintf("svc-%05d", i)},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: &name, Protocol: &proto, Port: &port}},
	}
	for j := range neps {
		g := 0
		if j == 0 {
			g = gen
		}
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{endpointAddr(i, j, g).String()}})
	}
	return s
}

type benchServiceList []*corev1.Service

func (l benchServiceList) List(labels.Selector) ([]*corev1.Service, error) { return l, nil }

type benchSlices struct{ items []*discoveryv1.EndpointSlice }

func (l *benchSlices) List(labels.Selector) ([]*discoveryv1.EndpointSlice, error) {
	return l.items, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	return v[len(v)/2]
}

// newBenchNS returns a new network namespace, left by the thread that
// made it (the thread ends with its goroutine).
func newBenchNS() (netns.NsHandle, error) {
	type res struct {
		ns  netns.NsHandle
		err error
	}
	c := make(chan res, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread is in the new namespace
		ns, err := netns.New()
		c <- res{ns, err}
	}()
	r := <-c
	return r.ns, r.err
}

// inBenchNS runs f on a thread in ns; processes f starts are in ns too.
func inBenchNS(ns netns.NsHandle, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := netns.Set(ns); err != nil {
			errc <- err
			return
		}
		errc <- f()
	}()
	return <-errc
}
