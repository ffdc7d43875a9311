package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	agentnode "github.com/skiffrt/skiff/controlplane/agent/node"
	"github.com/skiffrt/skiff/controlplane/apiendpoints"
	"github.com/skiffrt/skiff/controlplane/registry"
	"github.com/skiffrt/skiff/controlplane/registry/service"
	"github.com/skiffrt/skiff/controlplane/storage"
	"github.com/skiffrt/skiff/internal/log"
)

// bootstrap creates the namespaces every cluster has and the kubernetes
// service, on the first address of the service range, to port of the
// API servers.
func bootstrap(ctx context.Context, stores map[string]*registry.Store, services service.Config, port uint16) error {
	opts := registry.WriteOptions{FieldManager: "skiff-server"}
	for _, name := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if _, err := stores["namespaces"].Create(ctx, "", ns, opts); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("bootstrap namespace %s: %w", name, err)
		}
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: apiendpoints.Name, Labels: map[string]string{"component": "apiserver", "provider": "kubernetes"}},
		Spec: corev1.ServiceSpec{
			ClusterIP: services.KubernetesIP(),
			Ports:     []corev1.ServicePort{{Name: "https", Port: 443, TargetPort: intstr.FromInt32(int32(port))}},
		},
	}
	if _, err := stores["services"].Create(ctx, apiendpoints.Namespace, svc, opts); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("bootstrap service kubernetes: %w", err)
	}
	return nil
}

// startServiceAddresses repairs the claims of the services' addresses,
// creates what every cluster has (bootstrap, and the kube-dns service
// to dnsPort unless 0), and keeps, until stop, the repair running and the
// kubernetes service's endpoints listing this server at self.
func startServiceAddresses(ctx context.Context, services service.Config, store *storage.Store, stores map[string]*registry.Store, self netip.AddrPort, dnsPort uint16) (stop func(), err error) {
	repair := service.NewRepair(services, store, service.EventsTo(stores["events"]))
	if err := repair.RunOnce(ctx); err != nil {
		return nil, fmt.Errorf("service address repair: %w", err)
	}
	if err := bootstrap(ctx, stores, services, self.Port()); err != nil {
		return nil, err
	}
	if dnsPort != 0 {
		if err := bootstrapDNSService(ctx, stores["services"], services, dnsPort); err != nil {
			log.G(ctx).Warn("no cluster DNS service", log.KeyError, err)
		}
	}
	endpoints := &apiendpoints.Reconciler{Self: self, Leases: store, Endpoints: stores["endpoints"], Slices: stores["endpointslices.discovery.k8s.io"]}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { repair.Run(ctx, repairInterval) })
	wg.Go(func() { endpoints.Run(ctx) })
	return func() {
		cancel()
		wg.Wait()
	}, nil
}

// repairInterval is how often the claims of service addresses are
// checked, as kube-apiserver's repair controllers.
const repairInterval = 3 * time.Minute

// advertiseAddress is the address the kubernetes service gives for this
// server: ip (--advertise-address), or the address it listens on, or the
// default route's when that is unspecified; with the port it listens on.
func advertiseAddress(ip string, listen net.Addr) (netip.AddrPort, error) {
	ap, err := netip.ParseAddrPort(listen.String())
	if err != nil {
		return netip.AddrPort{}, err
	}
	addr := ap.Addr()
	if ip == "" && addr.IsUnspecified() {
		if ip, err = agentnode.OutboundIP(); err != nil {
			return netip.AddrPort{}, fmt.Errorf("no address to advertise: set --advertise-address (%w)", err)
		}
	}
	if ip != "" {
		if addr, err = netip.ParseAddr(ip); err != nil {
			return netip.AddrPort{}, fmt.Errorf("--advertise-address: %w", err)
		}
	}
	return netip.AddrPortFrom(addr.Unmap(), ap.Port()), nil
}
