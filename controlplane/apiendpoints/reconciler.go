package apiendpoints

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/skiffrt/skiff/controlplane/registry"
	"github.com/skiffrt/skiff/internal/log"
)

const (
	// Namespace and Name of the kubernetes service.
	Namespace, Name = "default", "kubernetes"
	// leaseTTL and interval as kube-apiserver's (--endpoint-reconciler-type=lease).
	leaseTTL = 15 * time.Second
	interval = 10 * time.Second
)

// Service is a service without selector whose endpoints are the
// servers holding a lease under LeasePrefix, each at its address and
// port.
type Service struct {
	Namespace, Name string
	// LeasePrefix is where the servers' presence keys are, in etcd.
	LeasePrefix string
	// Ports are the ports of every address, all on the address's port
	// number (dns over UDP and dns-tcp over TCP on 53).
	Ports []Port
}

// Port is a named port of a Service's endpoints.
type Port struct {
	Name     string
	Protocol corev1.Protocol
}

// Kubernetes is the default/kubernetes service: the API servers.
var Kubernetes = Service{Namespace: Namespace, Name: Name, LeasePrefix: "apiserverleases/",
	Ports: []Port{{Name: "https", Protocol: corev1.ProtocolTCP}}}

// Leases are the presence keys of the API servers, in etcd
// (storage.Store).
type Leases interface {
	PutTTL(ctx context.Context, key string, value []byte, ttl time.Duration) error
	DeleteKey(ctx context.Context, key string) error
	Values(ctx context.Context, prefix string) (map[string][]byte, error)
}

// Objects is the store of one kind (registry.Store).
type Objects interface {
	Get(ctx context.Context, ns, name string) (runtime.Object, error)
	List(ctx context.Context, ns string, opts *metav1.ListOptions) (runtime.Object, error)
	Create(ctx context.Context, ns string, obj runtime.Object, opts registry.WriteOptions) (runtime.Object, error)
	Update(ctx context.Context, ns, name, sub string, obj runtime.Object, opts registry.WriteOptions) (runtime.Object, error)
	Delete(ctx context.Context, ns, name string, opts *metav1.DeleteOptions) (runtime.Object, bool, error)
}

// Reconciler keeps this server's lease and its service's endpoints. It
// is safe to run one per server on a shared etcd.
type Reconciler struct {
	// Service is the service kept; Kubernetes when left out.
	Service Service
	// Self is the address this server advertises to the cluster.
	Self      netip.AddrPort
	Leases    Leases
	Endpoints Objects
	Slices    Objects
}

var writeOpts = registry.WriteOptions{FieldManager: "skiff-apiserver"}

// Run renews the lease and reconciles every interval until ctx ends,
// then removes this server's lease and address.
func (r *Reconciler) Run(ctx context.Context) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := r.Once(ctx); err != nil && ctx.Err() == nil {
			log.G(ctx).Warn("kubernetes service endpoints", log.KeyError, err)
		}
		select {
		case <-ctx.Done():
			r.stop(context.WithoutCancel(ctx))
			return
		case <-t.C:
		}
	}
}

// Once renews this server's lease and sets the endpoints to the servers
// holding one.
func (r *Reconciler) Once(ctx context.Context) error {
	if err := r.Leases.PutTTL(ctx, r.svc().LeasePrefix+r.Self.String(), nil, leaseTTL); err != nil {
		return err
	}
	return r.reconcile(ctx)
}

// stop removes this server from the endpoints.
func (r *Reconciler) stop(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := r.Leases.DeleteKey(ctx, r.svc().LeasePrefix+r.Self.String())
	if err == nil {
		err = r.reconcile(ctx)
	}
	if err != nil {
		log.G(ctx).Warn("kubernetes service endpoints: removing this server", log.KeyError, err)
	}
}

// reconcile writes the Endpoints and EndpointSlices of the servers that
// hold a lease.
func (r *Reconciler) reconcile(ctx context.Context) error {
	svc := r.svc()
	keys, err := r.Leases.Values(ctx, svc.LeasePrefix)
	if err != nil {
		return err
	}
	var addrs []netip.AddrPort
	for k := range keys {
		if a, err := netip.ParseAddrPort(k); err == nil {
			addrs = append(addrs, a)
		}
	}
	slices.SortFunc(addrs, netip.AddrPort.Compare)
	if err := apply(ctx, r.Endpoints, svc.endpoints(addrs)); err != nil {
		return err
	}
	want := svc.endpointSlices(addrs)
	for _, s := range want {
		if err := apply(ctx, r.Slices, s); err != nil {
			return err
		}
	}
	return r.deleteStaleSlices(ctx, svc, want)
}

// deleteStaleSlices deletes the kubernetes service's slices of ports no
// server listens on any more.
func (r *Reconciler) deleteStaleSlices(ctx context.Context, svc Service, want []*discoveryv1.EndpointSlice) error {
	list, err := r.Slices.List(ctx, svc.Namespace, &metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + svc.Name})
	if err != nil {
		return err
	}
	for _, obj := range registry.ListItems(list) {
		s := obj.(*discoveryv1.EndpointSlice)
		if _, managed := s.Labels[discoveryv1.LabelManagedBy]; managed {
			continue
		}
		if !slices.ContainsFunc(want, func(w *discoveryv1.EndpointSlice) bool { return w.Name == s.Name }) {
			if _, _, err := r.Slices.Delete(ctx, svc.Namespace, s.Name, &metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				return err
			}
		}
	}
	return nil
}

// object is an Endpoints or an EndpointSlice.
type object interface {
	runtime.Object
	metav1.Object
}

// apply creates want, or updates the stored object when its labels or
// content differ.
func apply[T object](ctx context.Context, st Objects, want T) error {
	cur, err := st.Get(ctx, want.GetNamespace(), want.GetName())
	if apierrors.IsNotFound(err) {
		_, err = st.Create(ctx, want.GetNamespace(), want, writeOpts)
		return err
	}
	if err != nil {
		return err
	}
	have := cur.(T)
	if sameContent(have, want) {
		return nil
	}
	want.SetResourceVersion(have.GetResourceVersion())
	_, err = st.Update(ctx, want.GetNamespace(), want.GetName(), "", want, writeOpts)
	return err
}

// sameContent compares the labels and what follows the metadata.
func sameContent(have, want object) bool {
	if !apiequality.Semantic.DeepEqual(have.GetLabels(), want.GetLabels()) {
		return false
	}
	switch w := want.(type) {
	case *corev1.Endpoints:
		return apiequality.Semantic.DeepEqual(have.(*corev1.Endpoints).Subsets, w.Subsets)
	case *discoveryv1.EndpointSlice:
		h := have.(*discoveryv1.EndpointSlice)
		return h.AddressType == w.AddressType && apiequality.Semantic.DeepEqual(h.Endpoints, w.Endpoints) &&
			apiequality.Semantic.DeepEqual(h.Ports, w.Ports)
	}
	return false
}

// byPort groups the addresses by port, ports in order.
func byPort(addrs []netip.AddrPort) ([]uint16, map[uint16][]netip.Addr) {
	var ports []uint16
	ips := map[uint16][]netip.Addr{}
	for _, a := range addrs {
		if _, ok := ips[a.Port()]; !ok {
			ports = append(ports, a.Port())
		}
		ips[a.Port()] = append(ips[a.Port()], a.Addr())
	}
	slices.Sort(ports)
	return ports, ips
}

// svc is the service kept.
func (r *Reconciler) svc() Service {
	if r.Service.Name == "" {
		return Kubernetes
	}
	return r.Service
}

// endpointPorts are the service's ports on port number p.
func (svc Service) endpointPorts(p uint16) []discoveryv1.EndpointPort {
	out := make([]discoveryv1.EndpointPort, 0, len(svc.Ports))
	for _, sp := range svc.Ports {
		out = append(out, discoveryv1.EndpointPort{Name: ptr(sp.Name), Port: ptr(int32(p)), Protocol: ptr(sp.Protocol)})
	}
	return out
}

// endpoints is the service's Endpoints: one subset per port.
func (svc Service) endpoints(addrs []netip.AddrPort) *corev1.Endpoints {
	e := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: svc.Name, Namespace: svc.Namespace,
		Labels: map[string]string{discoveryv1.LabelSkipMirror: "true"}}}
	ports, ips := byPort(addrs)
	for _, p := range ports {
		ss := corev1.EndpointSubset{}
		for _, sp := range svc.Ports {
			ss.Ports = append(ss.Ports, corev1.EndpointPort{Name: sp.Name, Port: int32(p), Protocol: sp.Protocol})
		}
		for _, ip := range ips[p] {
			ss.Addresses = append(ss.Addresses, corev1.EndpointAddress{IP: ip.String()})
		}
		e.Subsets = append(e.Subsets, ss)
	}
	return e
}

// endpointSlices are the service's EndpointSlices: one per port and
// address family, the first named as the service.
func (svc Service) endpointSlices(addrs []netip.AddrPort) []*discoveryv1.EndpointSlice {
	ports, ips := byPort(addrs)
	var out []*discoveryv1.EndpointSlice
	for _, p := range ports {
		for _, family := range []discoveryv1.AddressType{discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6} {
			s := svc.slice(len(out), p, family)
			for _, ip := range ips[p] {
				if ip.Is4() == (family == discoveryv1.AddressTypeIPv4) {
					s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{ip.String()},
						Conditions: discoveryv1.EndpointConditions{Ready: ptr(true)}})
				}
			}
			if len(s.Endpoints) > 0 {
				out = append(out, s)
			}
		}
	}
	return out
}

func (svc Service) slice(n int, port uint16, family discoveryv1.AddressType) *discoveryv1.EndpointSlice {
	name := svc.Name
	if n > 0 {
		name = fmt.Sprintf("%s-%d-%s", svc.Name, port, strings.ToLower(string(family)))
	}
	return &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: name, Namespace: svc.Namespace, Labels: map[string]string{discoveryv1.LabelServiceName: svc.Name}},
		AddressType: family,
		Ports:       svc.endpointPorts(port),
	}
}

func ptr[T any](v T) *T { return &v }
