package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/applyconfigurations"
	"sigs.k8s.io/knftables"

	"github.com/skiffrt/skiff/controlplane/apiserver"
	"github.com/skiffrt/skiff/controlplane/apiserver/auth"
	"github.com/skiffrt/skiff/controlplane/apiserver/auth/node"
	"github.com/skiffrt/skiff/controlplane/apiserver/auth/noderestriction"
	"github.com/skiffrt/skiff/controlplane/apiserver/nodecert"
	"github.com/skiffrt/skiff/controlplane/apiserver/nodeproxy"
	"github.com/skiffrt/skiff/controlplane/apiserver/openapi"
	"github.com/skiffrt/skiff/controlplane/pki"
	"github.com/skiffrt/skiff/controlplane/registry"
	"github.com/skiffrt/skiff/controlplane/registry/pod"
	"github.com/skiffrt/skiff/controlplane/registry/service"
	"github.com/skiffrt/skiff/controlplane/storage"
	"github.com/skiffrt/skiff/internal/memtrim"
	skiffversion "github.com/skiffrt/skiff/internal/version"
)

// serverFlags are `skiff server`'s flags.
type serverFlags struct {
	stateDir, pkiDir, etcdDir string
	kubeconfig                string
	listen                    string
	sans                      []string
	etcdClient, etcdPeer      string
	etcd                      etcdFlags
	compaction, eventTTL      time.Duration
	services                  service.Config
	advertise                 string
	logLevel                  slog.Level
	runAgent                  bool
	agent                     agentFlags
	controllers               controllerFlags
	tolerations               pod.Tolerations
	proxyTable                knftables.Interface // the local agent's proxy's, when it runs
	dns                       dnsFlags
}

func parseServerFlags(args []string, stderr io.Writer) (*serverFlags, error) {
	f := &serverFlags{}
	fs := flag.NewFlagSet("skiff server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.stateDir, "state-dir", "/var/lib/skiff/server", "directory of the server's state (pki/ and etcd/ by default)")
	fs.StringVar(&f.pkiDir, "pki-dir", "", "directory of the CA and certificates (default <state-dir>/pki)")
	fs.StringVar(&f.etcdDir, "etcd-dir", "", "directory of the embedded etcd's data (default <state-dir>/etcd)")
	fs.StringVar(&f.kubeconfig, "kubeconfig", "/etc/skiff/admin.kubeconfig", "where to write the admin kubeconfig")
	fs.StringVar(&f.listen, "listen", "127.0.0.1:6443", "HTTPS address of the API (port 0 picks a free one)")
	fs.Func("tls-san", "extra DNS name or IP of the serving certificate (repeatable)", func(s string) error {
		f.sans = append(f.sans, s)
		return nil
	})
	fs.StringVar(&f.etcdClient, "etcd-client-addr", "127.0.0.1:2379", "client address of the embedded etcd (port 0 picks a free one)")
	fs.StringVar(&f.etcdPeer, "etcd-peer-addr", "127.0.0.1:2380", "peer address of the embedded etcd (port 0 picks a free one)")
	fs.StringVar(&f.etcd.servers, "etcd-servers", "", "comma-separated client URLs of an external etcd cluster (etcd ≥ 3.5.13); no embedded etcd then")
	fs.StringVar(&f.etcd.caFile, "etcd-cafile", "", "CA bundle to verify the external etcd's servers")
	fs.StringVar(&f.etcd.certFile, "etcd-certfile", "", "client certificate for the external etcd")
	fs.StringVar(&f.etcd.keyFile, "etcd-keyfile", "", "key of --etcd-certfile")
	fs.DurationVar(&f.eventTTL, "event-ttl", time.Hour, "how long events are kept after their last write")
	fs.DurationVar(&f.compaction, "compaction-interval", 5*time.Minute, "how often old etcd revisions are compacted")
	f.services = service.DefaultConfig
	fs.Func("service-cluster-ip-range", "CIDR of the services' cluster IPs (default 10.96.0.0/16; the kubernetes service has the first)", func(s string) error {
		p, err := netip.ParsePrefix(s)
		f.services.CIDR = p.Masked()
		return err
	})
	fs.Func("service-node-port-range", "range of node ports, as MIN-MAX (default 30000-32767)", func(s string) error {
		_, err := fmt.Sscanf(s, "%d-%d", &f.services.NodePortMin, &f.services.NodePortMax)
		if err == nil && (f.services.NodePortMin < 1 || f.services.NodePortMax > 65535 || f.services.NodePortMin > f.services.NodePortMax) {
			err = fmt.Errorf("bad range %q", s)
		}
		return err
	})
	fs.StringVar(&f.advertise, "advertise-address", "", "IP the kubernetes service's endpoints give for this server (default: the --listen address, or the default route's when that is unspecified)")
	fs.TextVar(&f.logLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn, error")
	f.controllers.register(fs)
	fs.Int64Var(&f.tolerations.NotReady, "default-not-ready-toleration-seconds", pod.DefaultTolerationSeconds,
		"the toleration of node.kubernetes.io/not-ready:NoExecute new pods get when they have none")
	fs.Int64Var(&f.tolerations.Unreachable, "default-unreachable-toleration-seconds", pod.DefaultTolerationSeconds,
		"the toleration of node.kubernetes.io/unreachable:NoExecute new pods get when they have none")
	fs.BoolVar(&f.runAgent, "agent", true, "run a node agent for the local skiffd (see --cri-socket)")
	f.agent.register(fs)
	f.dns.register(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if f.pkiDir == "" {
		f.pkiDir = filepath.Join(f.stateDir, "pki")
	}
	if f.etcdDir == "" {
		f.etcdDir = filepath.Join(f.stateDir, "etcd")
	}
	f.agent.stayLocal(fs, f.listen)
	if err := f.controllers.check(); err != nil {
		return nil, err
	}
	f.agent.proxy.cfg.ClusterCIDRs = f.controllers.ipam.ClusterCIDRs
	if f.runAgent && f.agent.proxy.enabled {
		nft, err := proxyTable()
		if err != nil {
			return nil, err
		}
		f.proxyTable = nft
	}
	f.agent.useClusterDNS(fs, f.dns.address != "", f.services.DNSIP())
	return f, nil
}

func runServer(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "token" {
		return runToken(args[1:], stdout, stderr)
	}
	f, err := parseServerFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "skiff server: %v\n", err)
		return 2
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: f.logLevel})))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := serve(ctx, f, stdout); err != nil {
		slog.Error("skiff server", "error", err)
		return 1
	}
	return 0
}

// serve runs the server until ctx ends: certificates, etcd, storage, the
// kinds' stores, the HTTPS listener, then the kubeconfig.
func serve(ctx context.Context, f *serverFlags, stdout io.Writer) error {
	ca, err := pki.LoadOrCreateCA(f.pkiDir)
	if err != nil {
		return err
	}
	client, etcdFailed, stopEtcd, err := connectEtcd(ctx, f)
	if err != nil {
		return err
	}
	defer stopEtcd()

	kubelet, err := kubeletTransport(ca, f.pkiDir)
	if err != nil {
		return err
	}
	handler, store, err := newAPI(client, f, ca, kubelet)
	if err != nil {
		return err
	}
	go handler.nodeGraph.Run(ctx, handler.stores["pods"])
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return err
	}
	self, err := advertiseAddress(f.advertise, ln.Addr())
	if err != nil {
		ln.Close()
		return err
	}
	dns, err := newClusterDNS(f, ca, serverURL(ln.Addr()), self.Addr(), store, handler.stores)
	if err != nil {
		ln.Close()
		return err
	}
	stopAddresses, err := startServiceAddresses(ctx, f.services, store, handler.stores, self, dns.port())
	if err != nil {
		ln.Close()
		return err
	}
	defer stopAddresses()
	go store.Compactor(ctx, f.compaction)

	srv, err := httpsServer(ca, f, ln.Addr(), handler.http)
	if err != nil {
		ln.Close()
		return err
	}
	// Requests run in serving, so that ending it ends open watches and
	// Shutdown does not wait for them. It ends after the scheduler and the
	// controllers, which release their Leases through the API on the way
	// out.
	serving, stopServing := context.WithCancel(context.WithoutCancel(ctx))
	defer stopServing()
	srv.BaseContext = func(net.Listener) context.Context { return serving }
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()

	if err := writeAdminKubeconfig(ca, f, ln.Addr()); err != nil {
		return err
	}
	slog.Info("serving", "address", ln.Addr().String())
	stopScheduler, err := startScheduler(serving, ca, f.pkiDir, serverURL(ln.Addr()), identity(ln.Addr()))
	if err != nil {
		return err
	}
	defer stopScheduler()
	stopControllers, err := startControllers(serving, ca, f.pkiDir, serverURL(ln.Addr()), identity(ln.Addr()), f.controllers)
	if err != nil {
		return err
	}
	defer stopControllers()
	stopDNS := dns.start(serving)
	defer stopDNS()
	stopAgent := startLocalAgent(serving, ca, f, serverURL(ln.Addr()))
	defer stopAgent()
	fmt.Fprintf(stdout, "export KUBECONFIG=%s\n", f.kubeconfig)
	go trimAfterStart(serving)

	select {
	case <-ctx.Done():
		slog.Info("shutting down")
	case err := <-errc:
		return err
	case err := <-etcdFailed:
		return fmt.Errorf("etcd: %w", err)
	}
	stopScheduler()
	stopControllers()
	stopAgent()
	stopDNS()
	stopServing()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	return nil
}

// api is the HTTP handler with its per-kind stores.
type api struct {
	http   http.Handler
	stores map[string]*registry.Store // by group resource ("services", "events.events.k8s.io")
	// nodeGraph tells the node authorizer what nodes' pods reference;
	// it follows the pods once started (Run).
	nodeGraph *node.Graph
}

// newAPI wires storage, the served kinds, authentication, authorization
// and admission, and the handler.
func newAPI(client *clientv3.Client, f *serverFlags, ca *pki.CA, kubelet *http.Transport) (*api, *storage.Store, error) {
	scheme := apiserver.NewScheme()
	store := storage.New(client, storage.NewCodec(scheme), "/registry")
	restriction := &noderestriction.Plugin{}
	deps := registry.Deps{Storage: store, Scheme: scheme, TypeConverter: applyconfigurations.NewTypeConverter(scheme),
		Admission: restriction}
	a := &api{stores: map[string]*registry.Store{}, nodeGraph: node.NewGraph()}
	var stores []*registry.Store
	for _, k := range kinds(f.services, f.eventTTL, f.tolerations) {
		st, err := registry.NewStore(k, deps)
		if err != nil {
			return nil, nil, err
		}
		stores = append(stores, st)
		a.stores[k.GroupResource().String()] = st
	}
	restriction.Nodes = a.stores["nodes"]
	docs, err := openapi.New(openapiKinds(stores, scheme))
	if err != nil {
		return nil, nil, err
	}
	h, err := apiserver.New(apiserver.Config{
		OpenAPI:          docs,
		Stores:           stores,
		Scheme:           scheme,
		Decoder:          registry.NewDecoder(scheme),
		Authenticator:    auth.Union{auth.Certs{}, auth.BootstrapTokens{Secrets: a.stores["secrets"]}},
		Authorizer:       auth.Authorizers{auth.Admin{}, &node.Authorizer{Graph: a.nodeGraph}, auth.DefaultPolicy()},
		NodeCertificates: &nodecert.Handler{Signer: ca, CAPEM: ca.PEM},
		Streams:          nodeproxy.New(a.stores["pods"], a.stores["nodes"], kubelet),
		Ready: func(ctx context.Context) error {
			_, err := store.Revision(ctx)
			return err
		},
		Metrics: apiserver.NewMetrics(),
		Version: version.Info{Major: "1", Minor: "37", GitVersion: "v1.37.2-skiff+" + skiffversion.Version, Platform: "linux"},
	})
	if err != nil {
		return nil, nil, err
	}
	a.http = h
	return a, store, nil
}

// openapiKinds describes the served kinds to the OpenAPI generator.
func openapiKinds(stores []*registry.Store, scheme *runtime.Scheme) []openapi.Kind {
	out := make([]openapi.Kind, 0, len(stores))
	for _, st := range stores {
		k := st.Kind()
		obj, _ := scheme.New(k.GroupVersionKind)
		list, _ := scheme.New(k.GroupVersion().WithKind(k.Kind + "List"))
		out = append(out, openapi.Kind{
			GVK: k.GroupVersionKind, Resource: k.Resource, Namespaced: k.Namespaced,
			Verbs: registry.Verbs, Subresources: k.Subresources(), Object: obj, List: list,
		})
	}
	return out
}

// httpsServer serves h with the serving certificate; client certificates
// are verified against the CA when given (tokens work without).
func httpsServer(ca *pki.CA, f *serverFlags, addr net.Addr, h http.Handler) (*http.Server, error) {
	hosts := append([]string{"localhost", "127.0.0.1"}, f.sans...)
	if host, _, err := net.SplitHostPort(addr.String()); err == nil && !net.ParseIP(host).IsUnspecified() {
		hosts = append(hosts, host)
	}
	if name, err := os.Hostname(); err == nil {
		hosts = append(hosts, name)
	}
	cert, err := ca.Serving(f.pkiDir, "apiserver", hosts)
	if err != nil {
		return nil, err
	}
	return &http.Server{
		Handler: h,
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{cert},
			ClientAuth:   tls.VerifyClientCertIfGiven,
			ClientCAs:    ca.Pool(),
			MinVersion:   tls.VersionTLS12,
		},
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(slog.Default().Handler(), slog.LevelDebug),
	}, nil
}

// writeAdminKubeconfig writes the admin's kubeconfig for the address the
// server listens on.
func writeAdminKubeconfig(ca *pki.CA, f *serverFlags, addr net.Addr) error {
	admin, err := ca.Client(f.pkiDir, "admin", "skiff-admin", []string{auth.MastersGroup})
	if err != nil {
		return err
	}
	return pki.WriteKubeconfig(f.kubeconfig, serverURL(addr), ca, admin)
}

// identity tells this server from the others in leader elections: its
// host name and address, stable across restarts on a fixed port.
func identity(addr net.Addr) string {
	host, _ := os.Hostname()
	return host + "_" + addr.String()
}

// serverURL is the URL clients on this machine reach the API at addr by.
func serverURL(addr net.Addr) string {
	host, port, _ := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "https://" + net.JoinHostPort(host, port)
}

// trimSettle is how long after its start the server's start-up memory is
// handed back: by then its informers have synced and its clients run.
const trimSettle = 20 * time.Second

// trimAfterStart hands back, once, the memory only the start used: the
// free heap and the executable's pages its initialisation touched (see
// internal/memtrim).
func trimAfterStart(ctx context.Context) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(trimSettle):
	}
	n, err := memtrim.Trim()
	if err != nil {
		slog.WarnContext(ctx, "memory trim", "error", err)
		return
	}
	slog.DebugContext(ctx, "memory trimmed", "executable_bytes", n)
}
