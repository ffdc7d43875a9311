package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	agentnode "github.com/skiffrt/skiff/controlplane/agent/node"
	"github.com/skiffrt/skiff/controlplane/apiendpoints"
	"github.com/skiffrt/skiff/controlplane/apiserver/auth"
	"github.com/skiffrt/skiff/controlplane/dns"
	"github.com/skiffrt/skiff/controlplane/pki"
	"github.com/skiffrt/skiff/controlplane/registry"
	"github.com/skiffrt/skiff/controlplane/registry/service"
	"github.com/skiffrt/skiff/controlplane/storage"
	"github.com/skiffrt/skiff/internal/log"
)

// kubeDNS is the service of the cluster DNS: every server's listener is
// an endpoint, UDP and TCP on one port.
var kubeDNS = apiendpoints.Service{Namespace: "kube-system", Name: "kube-dns", LeasePrefix: "dnsleases/",
	Ports: []apiendpoints.Port{{Name: "dns", Protocol: corev1.ProtocolUDP}, {Name: "dns-tcp", Protocol: corev1.ProtocolTCP}}}

// dnsFlags configure the cluster DNS of `skiff server` (its domain is
// the agent's --cluster-domain).
type dnsFlags struct {
	address, upstream, resolvConf string
	ttl                           time.Duration
}

func (d *dnsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.address, "dns-address", ":53", `UDP and TCP address of the cluster DNS, which pods reach through the kube-dns Service; without a host, the advertised address, or the default route's when that is loopback ("" turns the DNS off)`)
	fs.StringVar(&d.upstream, "dns-upstream", "", "comma-separated resolvers (IP or IP:port) for names outside the cluster domain (default: the nameservers of --dns-resolv-conf)")
	fs.StringVar(&d.resolvConf, "dns-resolv-conf", "/etc/resolv.conf", "resolv.conf whose nameservers the cluster DNS forwards to, unless --dns-upstream")
	fs.DurationVar(&d.ttl, "dns-ttl", 5*time.Second, "TTL of the cluster DNS's records and negative answers")
}

// clusterDNS is the DNS server of `skiff server`, its informers and the
// reconciler of kube-dns's endpoints.
type clusterDNS struct {
	server    *dns.Server
	factory   informers.SharedInformerFactory
	catalog   *dns.Informers
	endpoints *apiendpoints.Reconciler
}

// newClusterDNS binds the cluster DNS's sockets (nil when --dns-address
// is ""). It reads the API at url as auth.DNSUser; self is the address
// the server advertises.
func newClusterDNS(f *serverFlags, ca *pki.CA, url string, self netip.Addr, store *storage.Store, stores map[string]*registry.Store) (*clusterDNS, error) {
	if f.dns.address == "" {
		return nil, nil
	}
	host := dnsHost(self, agentnode.OutboundIP)
	addr, err := dnsListenAddress(f.dns.address, host)
	if err != nil {
		return nil, err
	}
	upstreams, err := dnsUpstreams(f.dns)
	if err != nil {
		return nil, err
	}
	cfg, err := clientConfig(ca, f.pkiDir, url, "dns", auth.DNSUser)
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	c := &clusterDNS{factory: informers.NewSharedInformerFactory(client, 0)}
	if c.catalog, err = dns.NewInformers(c.factory); err != nil {
		return nil, err
	}
	zone := dns.NewZone(f.agent.clusterDomain, uint32(max(f.dns.ttl/time.Second, 0)), c.catalog) //nolint:gosec // bounded by the flag
	upstreams = slices.DeleteFunc(upstreams, func(u string) bool { return u == addr })
	c.server, err = dns.Listen(addr, zone, &dns.Forwarder{Upstreams: upstreams, Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("cluster DNS (set --dns-address, or --dns-address=\"\" to turn it off): %w", err)
	}
	listening, loopbackOnly := dnsPublished(c.server.Addr(), host)
	if loopbackOnly {
		slog.Warn("the cluster DNS listens on loopback only: pods cannot reach it through the kube-dns Service, "+
			"whose endpoints then give a loopback address; give --dns-address an address of this node, or leave its host out",
			"address", listening.String())
	}
	c.endpoints = &apiendpoints.Reconciler{Service: kubeDNS, Self: listening, Leases: store,
		Endpoints: stores["endpoints"], Slices: stores["endpointslices.discovery.k8s.io"]}
	return c, nil
}

// dnsHost is where the cluster DNS listens when --dns-address names no
// host, and the address kube-dns's endpoints give when it listens on
// every address: the server's advertised address, unless that is a
// loopback one (an API on loopback only). Pods reach the DNS through
// the kube-dns Service's DNAT, which cannot take a packet from a pod's
// network to a loopback address; the host's default-route address
// (outbound) is then used, and loopback only when there is none.
func dnsHost(self netip.Addr, outbound func() (string, error)) netip.Addr {
	if !self.IsLoopback() {
		return self
	}
	s, err := outbound()
	if err != nil {
		return self
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.IsLoopback() || a.IsUnspecified() {
		return self
	}
	return a.Unmap()
}

// dnsListenAddress is --dns-address, on host when it names none.
func dnsListenAddress(flag string, host netip.Addr) (string, error) {
	h, port, err := net.SplitHostPort(flag)
	if err != nil {
		return "", fmt.Errorf("--dns-address: %w", err)
	}
	if h == "" {
		h = host.String()
	}
	return net.JoinHostPort(h, port), nil
}

// dnsPublished is the address kube-dns's endpoints give for a listener
// bound to bound (host when that is every address), and whether it is
// a loopback one, which pods cannot reach.
func dnsPublished(bound netip.AddrPort, host netip.Addr) (netip.AddrPort, bool) {
	if bound.Addr().IsUnspecified() {
		bound = netip.AddrPortFrom(host, bound.Port())
	}
	return bound, bound.Addr().IsLoopback()
}

func dnsUpstreams(d dnsFlags) ([]string, error) {
	if d.upstream != "" {
		return dns.ParseUpstreams(d.upstream)
	}
	return dns.ResolvConfUpstreams(d.resolvConf)
}

// port is the port the DNS listens on (0 when off).
func (c *clusterDNS) port() uint16 {
	if c == nil {
		return 0
	}
	return c.server.Addr().Port()
}

// start serves, once the informers have synced, until ctx ends, and
// keeps this listener in kube-dns's endpoints meanwhile; stop waits.
func (c *clusterDNS) start(ctx context.Context) (stop func()) {
	if c == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(log.WithAttrs(ctx, "component", "dns"))
	var wg sync.WaitGroup
	wg.Go(func() {
		c.factory.Start(ctx.Done())
		defer c.factory.Shutdown()
		if !cache.WaitForCacheSync(ctx.Done(), c.catalog.HasSynced) {
			return
		}
		wg.Go(func() { c.endpoints.Run(ctx) })
		log.G(ctx).Info("cluster DNS serving", "address", c.server.Addr().String())
		if err := c.server.Serve(ctx); err != nil {
			log.G(ctx).Error("cluster DNS", log.KeyError, err)
		}
	})
	return func() {
		cancel()
		wg.Wait()
	}
}

// bootstrapDNSService creates kube-system/kube-dns on the DNS address of
// the service range, to the DNS listeners' port; a cluster whose range
// has no room for it, or whose address is taken, goes without.
func bootstrapDNSService(ctx context.Context, services *registry.Store, cfg service.Config, port uint16) error {
	ip := cfg.DNSIP()
	if ip == "" {
		return errors.New("the service range has no room for the DNS service")
	}
	target := intstr.FromInt32(int32(port))
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: kubeDNS.Name, Labels: map[string]string{"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true"}},
		Spec: corev1.ServiceSpec{
			ClusterIP: ip,
			Ports: []corev1.ServicePort{
				{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: target},
				{Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP, TargetPort: target},
			},
		},
	}
	_, err := services.Create(ctx, kubeDNS.Namespace, svc, registry.WriteOptions{FieldManager: "skiff-server"})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("bootstrap service kube-dns: %w", err)
	}
	return nil
}
