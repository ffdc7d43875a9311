package endpointslice

import (
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiffrt/skiff/controlplane/controller/ownerref"
)

// ManagedBy is the value of the managed-by label of the slices this
// controller owns: upstream's, which tools look for.
const ManagedBy = "endpointslice-controller.k8s.io"

// maxPerSlice is the most endpoints one slice lists (upstream's default
// --max-endpoints-per-slice).
const maxPerSlice = 100

var serviceKind = corev1.SchemeGroupVersion.WithKind("Service")

// changes are the writes that bring a Service's slices to the desired
// state: creates first, then updates, then deletes, so consumers never
// see an endpoint missing in between.
type changes struct {
	create, update, delete []*discoveryv1.EndpointSlice
}

func (c *changes) add(o changes) {
	c.create = append(c.create, o.create...)
	c.update = append(c.update, o.update...)
	c.delete = append(c.delete, o.delete...)
}

func (c *changes) empty() bool { return len(c.create)+len(c.update)+len(c.delete) == 0 }

// planner decides the slices of one Service and address type.
type planner struct {
	svc *corev1.Service
	at  discoveryv1.AddressType
	max int
	ch  changes
	// spare are existing slices no group needs any more: reused for new
	// slices, deleted if left over.
	spare []*discoveryv1.EndpointSlice
}

// plan returns the changes that turn existing (this controller's slices
// of svc with address type at) into slices listing groups, at most max
// endpoints each.
func plan(svc *corev1.Service, at discoveryv1.AddressType, groups map[string]*group, existing []*discoveryv1.EndpointSlice, max int) changes {
	p := &planner{svc: svc, at: at, max: max}
	byKey := map[string][]*discoveryv1.EndpointSlice{}
	for _, s := range sortedByName(existing) {
		k := portsKey(s.Ports)
		if _, ok := groups[k]; !ok {
			p.spare = append(p.spare, s)
			continue
		}
		byKey[k] = append(byKey[k], s)
	}
	for _, k := range sortedKeys(groups) {
		p.group(groups[k], byKey[k])
	}
	if len(groups) == 0 {
		p.placeholder()
	}
	p.ch.delete = append(p.ch.delete, p.spare...)
	return p.ch
}

// group plans the slices of one group from the existing ones with its
// ports.
func (p *planner) group(g *group, existing []*discoveryv1.EndpointSlice) {
	want := maps.Clone(g.endpoints)
	var updated, unchanged []*discoveryv1.EndpointSlice
	for _, s := range existing {
		next := s.DeepCopy()
		next.Endpoints = nil
		changed := !p.metaOK(s)
		for _, ep := range s.Endpoints {
			d, ok := want[key(ep)]
			if !ok {
				changed = true // gone, or listed twice
				continue
			}
			delete(want, key(ep))
			changed = changed || !apiequality.Semantic.DeepEqual(d, ep)
			next.Endpoints = append(next.Endpoints, d)
		}
		switch {
		case len(next.Endpoints) == 0:
			p.spare = append(p.spare, s)
		case changed:
			p.setMeta(next)
			updated = append(updated, next)
		default:
			unchanged = append(unchanged, s)
		}
	}
	rest := make([]discoveryv1.Endpoint, 0, len(want))
	for _, k := range sortedKeys(want) {
		rest = append(rest, want[k])
	}
	// New endpoints go to slices written anyway, ...
	for _, s := range updated {
		n := min(p.max-len(s.Endpoints), len(rest))
		if n > 0 {
			s.Endpoints, rest = append(s.Endpoints, rest[:n]...), rest[n:]
		}
	}
	// ... then to the fullest unchanged slice that takes them all, ...
	if len(rest) > 0 {
		var best *discoveryv1.EndpointSlice
		for _, s := range unchanged {
			if len(s.Endpoints)+len(rest) <= p.max && (best == nil || len(s.Endpoints) > len(best.Endpoints)) {
				best = s
			}
		}
		if best != nil {
			next := best.DeepCopy()
			next.Endpoints, rest = append(next.Endpoints, rest...), nil
			updated = append(updated, next)
		}
	}
	p.ch.update = append(p.ch.update, updated...)
	// ... then to new slices.
	for len(rest) > 0 {
		n := min(p.max, len(rest))
		p.write(g.ports, rest[:n])
		rest = rest[n:]
	}
}

// placeholder keeps one empty slice for a Service without endpoints, so
// that consumers see it is managed and has none.
func (p *planner) placeholder() {
	for i, s := range p.spare {
		if len(s.Ports) == 0 && len(s.Endpoints) == 0 && p.metaOK(s) {
			p.spare = slices.Delete(p.spare, i, i+1)
			return
		}
	}
	p.write([]discoveryv1.EndpointPort{}, []discoveryv1.Endpoint{})
}

// write plans a slice with ports and eps: a spare one updated, or a new
// one.
func (p *planner) write(ports []discoveryv1.EndpointPort, eps []discoveryv1.Endpoint) {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: p.svc.Name + "-",
			Namespace:    p.svc.Namespace,
		},
		AddressType: p.at,
	}
	if len(p.spare) > 0 {
		s, p.spare = p.spare[0].DeepCopy(), p.spare[1:]
	}
	s.Ports = slices.Clone(ports)
	s.Endpoints = slices.Clone(eps)
	p.setMeta(s)
	if s.Name == "" {
		p.ch.create = append(p.ch.create, s)
	} else {
		p.ch.update = append(p.ch.update, s)
	}
}

// labels are the labels svc's slices carry: the Service's own, the
// service name, the manager, and the headless mark.
func labels(svc *corev1.Service) map[string]string {
	out := map[string]string{}
	for k, v := range svc.Labels {
		if k != discoveryv1.LabelServiceName && k != discoveryv1.LabelManagedBy && k != corev1.IsHeadlessService {
			out[k] = v
		}
	}
	out[discoveryv1.LabelServiceName] = svc.Name
	out[discoveryv1.LabelManagedBy] = ManagedBy
	if svc.Spec.ClusterIP == corev1.ClusterIPNone {
		out[corev1.IsHeadlessService] = ""
	}
	return out
}

// metaOK tells whether s has the labels and controllerRef it should.
func (p *planner) metaOK(s *discoveryv1.EndpointSlice) bool {
	ref := metav1.GetControllerOfNoCopy(s)
	return maps.Equal(s.Labels, labels(p.svc)) && ref != nil && ref.UID == p.svc.UID &&
		apiequality.Semantic.DeepEqual(*ref, ownerref.NewControllerRef(p.svc, serviceKind))
}

// setMeta sets the labels and controllerRef of s, keeping other owners.
func (p *planner) setMeta(s *discoveryv1.EndpointSlice) {
	s.Labels = labels(p.svc)
	refs := []metav1.OwnerReference{ownerref.NewControllerRef(p.svc, serviceKind)}
	for _, r := range s.OwnerReferences {
		if r.Controller == nil || !*r.Controller {
			refs = append(refs, r)
		}
	}
	s.OwnerReferences = refs
}

// key identifies an endpoint within an address type: its address.
func key(ep discoveryv1.Endpoint) string {
	if len(ep.Addresses) == 0 {
		return ""
	}
	return ep.Addresses[0]
}

func sortedByName(in []*discoveryv1.EndpointSlice) []*discoveryv1.EndpointSlice {
	out := slices.Clone(in)
	slices.SortFunc(out, func(a, b *discoveryv1.EndpointSlice) int { return strings.Compare(a.Name, b.Name) })
	return out
}
