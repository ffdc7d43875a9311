package dns

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

// Catalog is what the zone's names are made of. The informer caches
// implement it (Informers); tests use a fake. Returned objects are
// shared and must not be changed.
type Catalog interface {
	// Service returns the service ns/name, or nil.
	Service(ns, name string) *corev1.Service
	// HasServices tells whether namespace ns has a service.
	HasServices(ns string) bool
	// ServicesByIP returns the services whose cluster IPs include ip.
	ServicesByIP(ip string) []*corev1.Service
	// EndpointSlices returns the slices of service ns/name.
	EndpointSlices(ns, name string) []*discoveryv1.EndpointSlice
	// PodsByIP returns the pods whose pod IPs include ip.
	PodsByIP(ip string) []*corev1.Pod
}

// Index names of the caches.
const (
	byClusterIP = "clusterIP"
	byService   = "service"
	byPodIP     = "podIP"
)

// Informers is the Catalog of a shared informer factory's Services,
// EndpointSlices and Pods. Pods are cut to their addresses in the cache.
// Ask for it before the factory starts; it answers once the caches have
// synced (HasSynced).
type Informers struct {
	services, slices, pods cache.SharedIndexInformer
}

// NewInformers registers the informers and indexes in f.
func NewInformers(f informers.SharedInformerFactory) (*Informers, error) {
	c := &Informers{
		services: f.Core().V1().Services().Informer(),
		slices:   f.Discovery().V1().EndpointSlices().Informer(),
		pods:     f.Core().V1().Pods().Informer(),
	}
	if err := c.services.AddIndexers(cache.Indexers{byClusterIP: clusterIPs}); err != nil {
		return nil, fmt.Errorf("service index: %w", err)
	}
	if err := c.slices.AddIndexers(cache.Indexers{byService: sliceService}); err != nil {
		return nil, fmt.Errorf("endpointslice index: %w", err)
	}
	if err := c.pods.AddIndexers(cache.Indexers{byPodIP: podIPs}); err != nil {
		return nil, fmt.Errorf("pod index: %w", err)
	}
	if err := c.pods.SetTransform(trimPod); err != nil {
		return nil, fmt.Errorf("pod transform: %w", err)
	}
	return c, nil
}

// HasSynced tells whether the caches are filled.
func (c *Informers) HasSynced() bool {
	return c.services.HasSynced() && c.slices.HasSynced() && c.pods.HasSynced()
}

func (c *Informers) Service(ns, name string) *corev1.Service {
	obj, ok, err := c.services.GetIndexer().GetByKey(ns + "/" + name)
	if err != nil || !ok {
		return nil
	}
	return obj.(*corev1.Service)
}

func (c *Informers) HasServices(ns string) bool {
	keys, err := c.services.GetIndexer().IndexKeys(cache.NamespaceIndex, ns)
	return err == nil && len(keys) > 0
}

func (c *Informers) ServicesByIP(ip string) []*corev1.Service {
	return byIndex[*corev1.Service](c.services, byClusterIP, ip)
}

func (c *Informers) EndpointSlices(ns, name string) []*discoveryv1.EndpointSlice {
	return byIndex[*discoveryv1.EndpointSlice](c.slices, byService, ns+"/"+name)
}

func (c *Informers) PodsByIP(ip string) []*corev1.Pod {
	return byIndex[*corev1.Pod](c.pods, byPodIP, ip)
}

func byIndex[T any](inf cache.SharedIndexInformer, index, value string) []T {
	objs, err := inf.GetIndexer().ByIndex(index, value)
	if err != nil {
		return nil
	}
	out := make([]T, 0, len(objs))
	for _, o := range objs {
		out = append(out, o.(T))
	}
	return out
}

// clusterIPs indexes a service by its cluster IPs.
func clusterIPs(obj any) ([]string, error) {
	s, ok := obj.(*corev1.Service)
	if !ok {
		return nil, nil
	}
	if len(s.Spec.ClusterIPs) > 0 {
		return s.Spec.ClusterIPs, nil
	}
	if s.Spec.ClusterIP != "" && s.Spec.ClusterIP != corev1.ClusterIPNone {
		return []string{s.Spec.ClusterIP}, nil
	}
	return nil, nil
}

// sliceService indexes a slice by the ns/name of its service.
func sliceService(obj any) ([]string, error) {
	s, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok {
		return nil, nil
	}
	if name := s.Labels[discoveryv1.LabelServiceName]; name != "" {
		return []string{s.Namespace + "/" + name}, nil
	}
	return nil, nil
}

// podIPs indexes a pod by its addresses.
func podIPs(obj any) ([]string, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, nil
	}
	out := make([]string, 0, len(p.Status.PodIPs))
	for _, ip := range p.Status.PodIPs {
		out = append(out, ip.IP)
	}
	if len(out) == 0 && p.Status.PodIP != "" {
		out = append(out, p.Status.PodIP)
	}
	return out, nil
}

// trimPod keeps of a pod what its records need: name, namespace and
// addresses (the cache of every pod in the cluster stays small).
func trimPod(obj any) (any, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, UID: p.UID, ResourceVersion: p.ResourceVersion},
		Status:     corev1.PodStatus{PodIP: p.Status.PodIP, PodIPs: p.Status.PodIPs},
	}, nil
}
