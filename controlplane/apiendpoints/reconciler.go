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
	// Namespace and Name of the service whose endpoints are kept.
	Namespace, Name = "default", "kubernetes"
	leasePrefix     = "apiserverleases/"
	// leaseTTL and interval as kube-apiserver's (--endpoint-reconciler-type=lease).
	leaseTTL = 15 * time.Second
	interval = 10 * time.Second
)

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

// Reconciler keeps this server's lease and the kubernetes service's
// endpoints. It is safe to run one per API server on a shared etcd.
type Reconciler struct {
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
	if err := r.Leases.PutTTL(ctx, leasePrefix+r.Self.String(), nil, leaseTTL); err != nil {
		return err
	}
	return r.reconcile(ctx)
}

// stop removes this server from the endpoints.
func (r *Reconciler) stop(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := r.Leases.DeleteKey(ctx, leasePrefix+r.Self.String())
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
	keys, err := r.Leases.Values(ctx, leasePrefix)
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
	if err := apply(ctx, r.Endpoints, endpoints(addrs)); err != nil {
		return err
	}
	want := endpointSlices(addrs)
	for _, s := range want {
		if err := apply(ctx, r.Slices, s); err != nil {
			return err
		}
	}
	return r.deleteStaleSlices(ctx, want)
}

// deleteStaleSlices deletes the kubernetes service's slices of ports no
// server listens on any more.
func (r *Reconciler) deleteStaleSlices(ctx context.Context, want []*discoveryv1.EndpointSlice) error {
	list, err := r.Slices.List(ctx, Namespace, &metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + Name})
	if err != nil {
		return err
	}
	for _, obj := range registry.ListItems(list) {
		s := obj.(*discoveryv1.EndpointSlice)
		if _, managed := s.Labels[discoveryv1.LabelManagedBy]; managed {
			continue
		}
		if !slices.ContainsFunc(want, func(w *discoveryv1.EndpointSlice) bool { return w.Name == s.Name }) {
			if _, _, err := r.Slices.Delete(ctx, Namespace, s.Name, &metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
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
	cur, err := st.Get(ctx, Namespace, want.GetName())
	if apierrors.IsNotFound(err) {
		_, err = st.Create(ctx, Namespace, want, writeOpts)
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
	_, err = st.Update(ctx, Namespace, want.GetName(), "", want, writeOpts)
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

// endpoints is the kubernetes service's Endpoints: one subset per port.
func endpoints(addrs []netip.AddrPort) *corev1.Endpoints {
	e := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: Name, Namespace: Namespace,
		Labels: map[string]string{discoveryv1.LabelSkipMirror: "true"}}}
	ports, ips := byPort(addrs)
	for _, p := range ports {
		ss := corev1.EndpointSubset{Ports: []corev1.EndpointPort{{Name: "https", Port: int32(p), Protocol: corev1.ProtocolTCP}}}
		for _, ip := range ips[p] {
			ss.Addresses = append(ss.Addresses, corev1.EndpointAddress{IP: ip.String()})
		}
		e.Subsets = append(e.Subsets, ss)
	}
	return e
}

// endpointSlices are the kubernetes service's EndpointSlices: one per
// port and address family, the first named "kubernetes".
func endpointSlices(addrs []netip.AddrPort) []*discoveryv1.EndpointSlice {
	ports, ips := byPort(addrs)
	var out []*discoveryv1.EndpointSlice
	for _, p := range ports {
		for _, family := range []discoveryv1.AddressType{discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6} {
			s := slice(len(out), p, family)
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

func slice(n int, port uint16, family discoveryv1.AddressType) *discoveryv1.EndpointSlice {
	name := Name
	if n > 0 {
		name = fmt.Sprintf("%s-%d-%s", Name, port, strings.ToLower(string(family)))
	}
	return &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: name, Namespace: Namespace, Labels: map[string]string{discoveryv1.LabelServiceName: Name}},
		AddressType: family,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr("https"), Port: ptr(int32(port)), Protocol: ptr(corev1.ProtocolTCP)}},
	}
}

func ptr[T any](v T) *T { return &v }
