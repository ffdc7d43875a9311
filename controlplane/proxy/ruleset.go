package proxy

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/knftables"
)

// TableName is the nftables table the proxy owns (family inet).
const TableName = "skiff-proxy"

// masqMark is the packet mark bit that asks nat-postrouting to masquerade.
const masqMark = "0x4000"

// Names of the fixed chains and maps.
const (
	chainServices    = "services"
	chainMarkMasq    = "mark-for-masquerade"
	chainMasquerade  = "masquerading"
	chainReject      = "reject-chain"
	mapServiceIPs    = "service-ips"
	mapNodePorts     = "service-nodeports"
	mapNoEPServices  = "no-endpoint-services"
	mapNoEPNodePorts = "no-endpoint-nodeports"
	mapFirewallIPs   = "firewall-ips"
)

// ruleConfig is what the ruleset depends on besides the service ports.
type ruleConfig struct {
	// clusterCIDRs (one per family): traffic to a ClusterIP from outside
	// them is masqueraded. None of a family: nothing of it is
	// masqueraded for being off-cluster.
	clusterCIDRs []netip.Prefix
	// nodePortAddresses restrict NodePorts to the local addresses in
	// them; empty: every local address but loopback.
	nodePortAddresses []netip.Prefix
}

// objects is what a table holds, to write only what changed and to find
// what a later ruleset drops. A chain's or map's content is "" when
// unknown, and is then written again.
type objects struct {
	chains map[string]string // name → rules (and hook)
	maps   map[string]string // name → elements
	sets   map[string]bool
}

// clusterCIDR is the pods' range of family f; zero when none is known.
func (c ruleConfig) clusterCIDR(f family) netip.Prefix {
	if ps := f.of(c.clusterCIDRs); len(ps) > 0 {
		return ps[0]
	}
	return netip.Prefix{}
}

func newObjects() objects {
	return objects{chains: map[string]string{}, maps: map[string]string{}, sets: map[string]bool{}}
}

// forgetContent keeps the names and drops the contents: the next
// ruleset is written in full.
func (o objects) forgetContent() objects {
	f := newObjects()
	for n := range o.chains {
		f.chains[n] = ""
	}
	for n := range o.maps {
		f.maps[n] = ""
	}
	maps.Copy(f.sets, o.sets)
	return f
}

// baseChain is one hooked chain of the table and its fixed rules.
type baseChain struct {
	name     string
	typ      knftables.BaseChainType
	hook     knftables.BaseChainHook
	priority knftables.BaseChainPriority
	rules    []string
}

func baseChains(c ruleConfig) []baseChain {
	const beforeFilter = knftables.FilterPriority + "-10"
	const beforeDNAT = knftables.DNATPriority + "-10"
	var firewall, input, forward []string
	for _, f := range families {
		dst := "ct state new " + f.ip + " daddr . meta l4proto . th dport vmap @"
		firewall = append(firewall, dst+f.m(mapFirewallIPs))
		forward = append(forward, dst+f.m(mapNoEPServices))
		input = append(input, dst+f.m(mapNoEPServices)) // external IPs of this node
		if np := nodePortMatch(c, f); np != "" {
			input = append(input, "ct state new "+np+" meta l4proto . th dport vmap @"+f.m(mapNoEPNodePorts))
		}
	}
	return []baseChain{
		{"filter-prerouting-pre-dnat", knftables.FilterType, knftables.PreroutingHook, beforeDNAT, firewall},
		{"filter-output-pre-dnat", knftables.FilterType, knftables.OutputHook, beforeDNAT, firewall},
		{"nat-prerouting", knftables.NATType, knftables.PreroutingHook, knftables.DNATPriority,
			[]string{"jump " + chainServices}},
		{"nat-output", knftables.NATType, knftables.OutputHook, knftables.DNATPriority,
			[]string{"jump " + chainServices}},
		{"nat-postrouting", knftables.NATType, knftables.PostroutingHook, knftables.SNATPriority,
			[]string{"jump " + chainMasquerade}},
		{"filter-input", knftables.FilterType, knftables.InputHook, beforeFilter, input},
		{"filter-forward", knftables.FilterType, knftables.ForwardHook, beforeFilter, forward},
		{"filter-output", knftables.FilterType, knftables.OutputHook, beforeFilter, forward},
	}
}

// nodePortMatch matches packets of family f to the addresses NodePorts
// listen on; "" when f has none (nodePortAddresses name only the other
// family).
func nodePortMatch(c ruleConfig, f family) string {
	if len(c.nodePortAddresses) == 0 {
		return "fib daddr type local " + f.ip + " daddr != " + f.loopback
	}
	var ps []string
	for _, p := range f.of(c.nodePortAddresses) {
		ps = append(ps, p.String())
	}
	if len(ps) == 0 {
		return ""
	}
	return f.ip + " daddr { " + strings.Join(ps, ", ") + " } fib daddr type local"
}

// Object names. ids are ns/name/proto/port; endpoints add __ip/port.
func svcChain(p *svcPort) string   { return "svc-" + p.id }
func extChain(p *svcPort) string   { return "ext-" + p.id }
func localChain(p *svcPort) string { return "local-" + p.id }
func fwChain(p *svcPort) string    { return "fw-" + p.id }
func epSuffix(p *svcPort, ep endpoint) string {
	return p.id + "__" + nameSafe(ep.addr.Addr()) + "/" + fmt.Sprint(ep.addr.Port())
}
func epChain(p *svcPort, ep endpoint) string     { return "ep-" + epSuffix(p, ep) }
func affinitySet(p *svcPort, ep endpoint) string { return "aff-" + epSuffix(p, ep) }

// writeRuleset adds to tx the operations that make the table hold the
// ruleset for ports, given what it holds now (old), and returns what it
// will hold. Chains and maps whose content old knows and that did not
// change are left alone; the others are flushed and filled again.
func writeRuleset(tx *knftables.Transaction, ports []svcPort, c ruleConfig, old objects) objects {
	w := &writer{tx: tx, old: old, want: newObjects(), elems: map[string][]*knftables.Element{}}
	tx.Add(&knftables.Table{Comment: knftables.PtrTo("skiff service proxy")})
	for _, m := range fixedMaps {
		tx.Add(&knftables.Map{Name: m.name, Type: m.typ})
	}
	w.fixed(c)
	for i := range ports {
		w.port(&ports[i], c)
	}
	// Elements last: they point at the chains above.
	for _, m := range fixedMaps {
		w.fillMap(m.name)
	}
	// What is no longer wanted goes last: every rule or map element that
	// pointed at it was rewritten above. Chains are emptied before any is
	// deleted, as stale chains may jump to each other.
	for _, ch := range sortedKeys(old.chains) {
		if _, ok := w.want.chains[ch]; !ok {
			tx.Flush(&knftables.Chain{Name: ch})
		}
	}
	for _, ch := range sortedKeys(old.chains) {
		if _, ok := w.want.chains[ch]; !ok {
			tx.Delete(&knftables.Chain{Name: ch})
		}
	}
	for _, s := range sortedKeys(old.sets) {
		if !w.want.sets[s] {
			tx.Delete(&knftables.Set{Name: s})
		}
	}
	return w.want
}

// fixedMaps are the table's verdict maps, each once per family.
var fixedMaps = func() []struct{ name, typ string } {
	var out []struct{ name, typ string }
	for _, f := range families {
		addr := f.addrType + " . inet_proto . inet_service : verdict"
		port := "inet_proto . inet_service : verdict"
		out = append(out,
			struct{ name, typ string }{f.m(mapServiceIPs), addr},
			struct{ name, typ string }{f.m(mapNodePorts), port},
			struct{ name, typ string }{f.m(mapNoEPServices), addr},
			struct{ name, typ string }{f.m(mapNoEPNodePorts), port},
			struct{ name, typ string }{f.m(mapFirewallIPs), addr},
		)
	}
	return out
}()

type writer struct {
	tx    *knftables.Transaction
	old   objects
	want  objects
	elems map[string][]*knftables.Element // by map
}

// chain writes the chain and its rules, unless the table holds them.
func (w *writer) chain(ch *knftables.Chain, rules ...string) {
	content := strings.Join(rules, "\n")
	if ch.Hook != nil {
		content = fmt.Sprintf("%s %s %s\n%s", *ch.Type, *ch.Hook, *ch.Priority, content)
	}
	w.want.chains[ch.Name] = content
	if old, ok := w.old.chains[ch.Name]; ok && old == content {
		return
	}
	w.tx.Add(ch)
	w.tx.Flush(ch)
	for _, r := range rules {
		w.tx.Add(&knftables.Rule{Chain: ch.Name, Rule: r})
	}
}

// fillMap writes the map's elements, unless the table holds them.
func (w *writer) fillMap(name string) {
	var b strings.Builder
	for _, e := range w.elems[name] {
		fmt.Fprintf(&b, "%s : %s\n", strings.Join(e.Key, " . "), strings.Join(e.Value, " "))
	}
	content := "elements:\n" + b.String()
	w.want.maps[name] = content
	if old, ok := w.old.maps[name]; ok && old == content {
		return
	}
	w.tx.Flush(&knftables.Map{Name: name})
	for _, e := range w.elems[name] {
		w.tx.Add(e)
	}
}

func (w *writer) fixed(c ruleConfig) {
	w.chain(&knftables.Chain{Name: chainMarkMasq}, "mark set mark or "+masqMark)
	w.chain(&knftables.Chain{Name: chainMasquerade},
		"mark and "+masqMark+" == 0 return",
		"mark set mark xor "+masqMark,
		"masquerade fully-random")
	w.chain(&knftables.Chain{Name: chainReject}, "reject")
	var services []string
	for _, f := range families {
		services = append(services, f.ip+" daddr . meta l4proto . th dport vmap @"+f.m(mapServiceIPs))
		if np := nodePortMatch(c, f); np != "" {
			services = append(services, np+" meta l4proto . th dport vmap @"+f.m(mapNodePorts))
		}
	}
	w.chain(&knftables.Chain{Name: chainServices}, services...)
	for _, b := range baseChains(c) {
		w.chain(&knftables.Chain{
			Name: b.name, Type: knftables.PtrTo(b.typ), Hook: knftables.PtrTo(b.hook), Priority: knftables.PtrTo(b.priority),
		}, b.rules...)
	}
}

// port writes the chains and map elements of one service port.
//
// Its ClusterIP goes to the svc- chain (every endpoint), or with
// internalTrafficPolicy Local to the local- chain (this node's
// endpoints); with none on this node it is dropped, as upstream does.
// Its NodePort, external IPs and load balancer IPs go to the ext- chain, which applies the
// externalTrafficPolicy and then goes to svc- or local-.
func (w *writer) port(p *svcPort, c ruleConfig) {
	f := p.family()
	cidr := c.clusterCIDR(f)
	svcKey := p.key(p.clusterIP)
	if len(p.endpoints) == 0 {
		w.element(f.m(mapNoEPServices), svcKey, "goto "+chainReject)
		for _, ip := range slices.Concat(p.externalIPs, p.lbIPs) {
			w.element(f.m(mapNoEPServices), p.key(ip), "goto "+chainReject)
		}
		if p.nodePort != 0 {
			w.element(f.m(mapNoEPNodePorts), []string{p.proto, fmt.Sprint(p.nodePort)}, "goto "+chainReject)
		}
		return
	}
	local := p.localEndpoints()
	external := p.external()
	usesCluster := !p.internalLocal || external
	usesLocal := len(local) > 0 && (p.internalLocal || (external && p.local))
	eps := local
	if usesCluster {
		eps = p.endpoints
	}
	for _, ep := range eps {
		w.endpoint(p, ep)
	}
	if usesCluster {
		var masq []string
		if cidr.IsValid() {
			masq = []string{f.ip + " saddr != " + cidr.String() + " jump " + chainMarkMasq}
		}
		w.chain(&knftables.Chain{Name: svcChain(p)}, append(masq, dispatch(p, p.endpoints)...)...)
	}
	if usesLocal {
		var masq []string
		if p.internalLocal && cidr.IsValid() {
			// Off-cluster traffic to the ClusterIP, as in svc-; the
			// chain also serves external traffic, which keeps its source.
			masq = []string{f.ip + " daddr " + p.clusterIP.String() + " " + f.ip + " saddr != " + cidr.String() + " jump " + chainMarkMasq}
		}
		w.chain(&knftables.Chain{Name: localChain(p)}, append(masq, dispatch(p, local)...)...)
	}
	switch {
	case !p.internalLocal:
		w.element(f.m(mapServiceIPs), svcKey, "goto "+svcChain(p))
	case len(local) > 0:
		w.element(f.m(mapServiceIPs), svcKey, "goto "+localChain(p))
	default:
		w.element(f.m(mapNoEPServices), svcKey, "drop")
	}
	if !external {
		return
	}
	for _, ip := range slices.Concat(p.externalIPs, p.lbIPs) {
		w.element(f.m(mapServiceIPs), p.key(ip), "goto "+extChain(p))
	}
	if len(p.lbIPs) > 0 && len(p.sourceRanges) > 0 {
		// Before DNAT, while the destination is still the load balancer's.
		var rs []string
		for _, r := range p.sourceRanges {
			rs = append(rs, r.String())
		}
		w.chain(&knftables.Chain{Name: fwChain(p)}, f.ip+" saddr != { "+strings.Join(rs, ", ")+" } drop")
		for _, ip := range p.lbIPs {
			w.element(f.m(mapFirewallIPs), p.key(ip), "goto "+fwChain(p))
		}
	}
	if p.nodePort != 0 {
		w.element(f.m(mapNodePorts), []string{p.proto, fmt.Sprint(p.nodePort)}, "goto "+extChain(p))
	}
	w.chain(&knftables.Chain{Name: extChain(p)}, extRules(p, cidr, len(local) > 0)...)
}

// key is the key of ip and the port in service-ips and
// no-endpoint-services.
func (p *svcPort) key(ip netip.Addr) []string {
	return []string{ip.String(), p.proto, fmt.Sprint(p.port)}
}

// extRules are the rules of the ext- chain: masquerade and every
// endpoint for externalTrafficPolicy Cluster. For Local, traffic from
// this host or from pods keeps the cluster-wide choice (the host's
// needs SNAT); traffic from outside goes only to this node's endpoints,
// unmasqueraded, or is dropped.
func extRules(p *svcPort, cidr netip.Prefix, hasLocal bool) []string {
	if !p.local {
		return []string{"jump " + chainMarkMasq, "goto " + svcChain(p)}
	}
	rules := []string{
		"fib saddr type local jump " + chainMarkMasq,
		"fib saddr type local goto " + svcChain(p),
	}
	if cidr.IsValid() {
		rules = append(rules, p.family().ip+" saddr "+cidr.String()+" goto "+svcChain(p))
	}
	if hasLocal {
		return append(rules, "goto "+localChain(p))
	}
	return append(rules, "drop")
}

// endpoint writes an endpoint's chain and its affinity set.
func (w *writer) endpoint(p *svcPort, ep endpoint) {
	f := p.family()
	rules := []string{f.ip + " saddr " + ep.addr.Addr().String() + " jump " + chainMarkMasq}
	if p.affinity > 0 {
		set := affinitySet(p, ep)
		w.want.sets[set] = true
		if !w.old.sets[set] { // an existing set is kept: its entries are the affinity state
			w.tx.Add(&knftables.Set{
				Name: set, Type: f.addrType,
				Flags:   []knftables.SetFlag{knftables.DynamicFlag, knftables.TimeoutFlag},
				Timeout: knftables.PtrTo(time.Duration(p.affinity) * time.Second),
			})
		}
		rules = append(rules, "update @"+set+" { "+f.ip+" saddr }")
	}
	rules = append(rules, "meta l4proto "+p.proto+" dnat "+f.ip+" to "+ep.addr.String())
	w.chain(&knftables.Chain{Name: epChain(p, ep)}, rules...)
}

// dispatch returns the rules that send a packet to one of eps: the one
// its source is affine to, else a random one.
func dispatch(p *svcPort, eps []endpoint) []string {
	var rules []string
	if p.affinity > 0 {
		for _, ep := range eps {
			rules = append(rules, p.family().ip+" saddr @"+affinitySet(p, ep)+" goto "+epChain(p, ep))
		}
	}
	var m []string
	for i, ep := range eps {
		m = append(m, fmt.Sprintf("%d : goto %s", i, epChain(p, ep)))
	}
	return append(rules, fmt.Sprintf("numgen random mod %d vmap { %s }", len(eps), strings.Join(m, " , ")))
}

func (w *writer) element(mapName string, key []string, verdict string) {
	w.elems[mapName] = append(w.elems[mapName], &knftables.Element{Map: mapName, Key: key, Value: []string{verdict}})
}
