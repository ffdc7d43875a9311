package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"sigs.k8s.io/knftables"

	"github.com/skiffrt/skiff/controlplane/agent"
	"github.com/skiffrt/skiff/controlplane/agent/podnet"
	"github.com/skiffrt/skiff/controlplane/apiserver/auth"
	"github.com/skiffrt/skiff/controlplane/localstorage"
	"github.com/skiffrt/skiff/controlplane/pki"
	"github.com/skiffrt/skiff/internal/log"
)

// agentFlags configure a node agent, in `skiff agent` and `skiff server`.
type agentFlags struct {
	nodeName, nodeIP          string
	criSocket                 string
	rootDir, logDir           string
	volumeDir                 string
	cgroupRoot, manifestDir   string
	listen                    string
	clusterDNS                []string
	clusterDomain, resolvConf string
	proxy                     proxyFlags
	hostGW                    bool
	podCIDRWait               time.Duration
	leaseDuration             time.Duration
}

func (a *agentFlags) register(fs *flag.FlagSet) {
	host, _ := os.Hostname()
	fs.StringVar(&a.nodeName, "node-name", strings.ToLower(host), "name of this node")
	fs.StringVar(&a.nodeIP, "node-ip", "", "the node's InternalIP (default: the address of the default route)")
	fs.StringVar(&a.criSocket, "cri-socket", "/run/skiff/skiff.sock", "skiffd's CRI socket")
	fs.StringVar(&a.rootDir, "root-dir", "/var/lib/skiff/agent", "directory of the pods' volumes")
	fs.StringVar(&a.volumeDir, "volume-dir", localstorage.DefaultVolumeDir, "directory of the node's local persistent volumes")
	fs.StringVar(&a.logDir, "pod-log-dir", "/var/log/pods", "directory of the pods' logs")
	fs.StringVar(&a.cgroupRoot, "cgroup-root", "/kubepods", "parent cgroup of the pods")
	fs.StringVar(&a.manifestDir, "manifest-dir", "/etc/skiff/manifests", "directory of static pod manifests (\"\" disables them)")
	fs.StringVar(&a.listen, "agent-listen", "0.0.0.0:10250", "HTTPS address for the API server's logs, exec, attach and port-forward")
	fs.Func("cluster-dns", "IP of the cluster DNS server (repeatable; default: the cluster IP of the kube-system/kube-dns Service, read at start)", func(s string) error {
		a.clusterDNS = append(a.clusterDNS, s)
		return nil
	})
	fs.StringVar(&a.clusterDomain, "cluster-domain", "cluster.local", "the cluster's DNS domain")
	fs.StringVar(&a.resolvConf, "resolv-conf", "/etc/resolv.conf", "resolv.conf of pods on the host's resolver")
	a.proxy.register(fs)
	fs.BoolVar(&a.hostGW, "host-gw", true, "route the other nodes' pod CIDRs through their InternalIPs, unmasqueraded (nodes on one L2 segment)")
	fs.DurationVar(&a.podCIDRWait, "pod-cidr-wait", 0, "how long to wait for the node's pod CIDR before running pods (0: do not wait)")
	a.leaseDuration = defaultLeaseDuration
	fs.Func("node-lease-duration", "how long the node's Lease lasts (kubelet's nodeLeaseDurationSeconds, at least 4s); "+
		"the agent renews it every quarter of that, its heartbeat, which must come well within the server's --node-monitor-grace-period (default 40s)",
		func(s string) error {
			d, err := time.ParseDuration(s)
			if err == nil && d < 4*time.Second {
				err = errors.New("at least 4s")
			}
			a.leaseDuration = d
			return err
		})
}

// defaultLeaseDuration is kubelet's nodeLeaseDurationSeconds: renewed
// every 10 s, four heartbeats per node-monitor-grace-period of 40 s.
const defaultLeaseDuration = 40 * time.Second

// stayLocal keeps the agent of a server that listens only on loopback
// there too: its endpoint on 127.0.0.1, and 127.0.0.1 as the node's
// address (where the API server calls it), unless the flags say
// otherwise. Such a cluster has no other node to reach it.
func (a *agentFlags) stayLocal(fs *flag.FlagSet, apiListen string) {
	host, _, err := net.SplitHostPort(apiListen)
	if ip := net.ParseIP(host); err != nil || (ip == nil && host != "localhost") || (ip != nil && !ip.IsLoopback()) {
		return
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["agent-listen"] {
		a.listen = "127.0.0.1:10250"
	}
	if !set["node-ip"] {
		a.nodeIP = "127.0.0.1"
	}
}

// useClusterDNS gives the agent of a server that runs the cluster DNS
// (on) its service's address, ip, unless --cluster-dns says otherwise.
func (a *agentFlags) useClusterDNS(fs *flag.FlagSet, on bool, ip string) {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "cluster-dns" })
	if on && !set && ip != "" {
		a.clusterDNS = []string{ip}
	}
}

// config is the agent's Config for client and the CRI connection.
func (a *agentFlags) config(client kubernetes.Interface, conn *grpc.ClientConn, ca *x509.CertPool) agent.Config {
	var routes podnet.RouteTable
	var nat podnet.NAT
	if a.hostGW {
		routes, nat = podnet.Kernel{}, podnet.Iptables{}
	}
	return agent.Config{
		Routes: routes, NAT: nat, PodCIDRWait: a.podCIDRWait,
		NodeName: a.nodeName, NodeIP: a.nodeIP, Client: client,
		Runtime: runtimeapi.NewRuntimeServiceClient(conn), Images: runtimeapi.NewImageServiceClient(conn),
		RootDir: a.rootDir, VolumeDir: a.volumeDir, LogDir: a.logDir, CgroupRoot: a.cgroupRoot, ManifestDir: a.manifestDir,
		ClusterDNS: a.clusterDNS, ClusterDomain: a.clusterDomain, ResolvConf: a.resolvConf,
		Listen: a.listen, ClientCA: ca,
		LeaseDuration: a.leaseDuration, RenewEvery: a.leaseDuration / 4,
	}
}

// dialCRI connects to skiffd's socket (lazily: calls fail until it is up).
func dialCRI(socket string) (*grpc.ClientConn, error) {
	return grpc.NewClient("unix://"+socket, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(16<<20)))
}

// runAgent runs an agent until ctx ends; when it fails (skiffd not up
// yet, the API unreachable) it starts again after a pause.
func runAgent(ctx context.Context, a *agentFlags, restCfg *rest.Config, ca *x509.CertPool) error {
	client, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return err
	}
	conn, err := dialCRI(a.criSocket)
	if err != nil {
		return err
	}
	defer conn.Close()
	for {
		err := runAgentOnce(ctx, a.config(client, conn, ca))
		if ctx.Err() != nil {
			return nil
		}
		slog.Error("node agent stopped; starting again in 5s", "error", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(5 * time.Second):
		}
	}
}

func runAgentOnce(ctx context.Context, cfg agent.Config) error {
	ag, err := agent.New(ctx, cfg)
	if err != nil {
		return err
	}
	return ag.Run(ctx)
}

// runAgentCommand is `skiff agent`: a worker's node agent.
func runAgentCommand(args []string, stderr io.Writer) int {
	var a agentFlags
	var server, token, caFile, kubeconfig string
	logLevel := slog.LevelInfo
	fs := flag.NewFlagSet("skiff agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	a.register(fs)
	fs.StringVar(&server, "server", "", "URL of the API server, to join with --token")
	fs.StringVar(&token, "token", "", "bootstrap token (skiff server token create), to join with --server")
	fs.StringVar(&caFile, "certificate-authority", "", "the cluster CA, to join with --server")
	fs.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig of the node's credential; joining writes it (default <root-dir>/kubeconfig)")
	fs.TextVar(&logLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn, error")
	a.proxy.registerClusterCIDR(fs)
	cleanup := fs.Bool("cleanup-proxy", false, "delete the service proxy's nftables table and exit")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return 0
	} else if err != nil {
		return 2
	}
	if *cleanup {
		if err := cleanupProxy(context.Background()); err != nil {
			fmt.Fprintf(stderr, "skiff agent: %v\n", err)
			return 1
		}
		return 0
	}
	if kubeconfig == "" {
		kubeconfig = filepath.Join(a.rootDir, "kubeconfig")
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel})))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	restCfg, err := nodeClientConfig(ctx, nodeJoin{Server: server, Token: token, CAFile: caFile, Kubeconfig: kubeconfig, Node: a.nodeName})
	if err != nil {
		fmt.Fprintf(stderr, "skiff agent: %v\n", err)
		return 2
	}
	ca, err := caPool(restCfg)
	if err != nil {
		fmt.Fprintf(stderr, "skiff agent: %v\n", err)
		return 2
	}
	var nft knftables.Interface
	if a.proxy.enabled {
		if nft, err = proxyTable(); err != nil {
			fmt.Fprintf(stderr, "skiff agent: %v\n", err)
			return 2
		}
	}
	defer startProxy(ctx, &a.proxy, a.nodeName, restCfg, nft)()
	if err := runAgent(ctx, &a, restCfg, ca); err != nil {
		slog.Error("skiff agent", "error", err)
		return 1
	}
	return 0
}

// caPool is the cluster CA from a client configuration: it verifies the
// API server's certificate when it calls the agent.
func caPool(cfg *rest.Config) (*x509.CertPool, error) {
	data := cfg.TLSClientConfig.CAData
	if len(data) == 0 && cfg.TLSClientConfig.CAFile != "" {
		var err error
		if data, err = os.ReadFile(cfg.TLSClientConfig.CAFile); err != nil {
			return nil, err
		}
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, errors.New("no cluster CA in the client configuration")
	}
	return pool, nil
}

// startLocalAgent runs the node agent of `skiff server` for the local
// skiffd until ctx ends (unless --agent=false), as a client of the API at
// url with a node credential the server's CA issues (system:node:<name>
// in system:nodes); stop waits for it to finish.
func startLocalAgent(ctx context.Context, ca *pki.CA, f *serverFlags, url string) (stop func()) {
	if !f.runAgent {
		return func() {}
	}
	name := f.agent.nodeName
	ctx, cancel := context.WithCancel(log.WithAttrs(ctx, "component", "agent"))
	var wg sync.WaitGroup
	wg.Go(func() {
		cfg, err := clientConfig(ca, f.pkiDir, url, "node-"+name, auth.NodeUserPrefix+name, auth.NodesGroup)
		if err == nil {
			defer startProxy(ctx, &f.agent.proxy, name, cfg, f.proxyTable)()
			err = runAgent(ctx, &f.agent, cfg, ca.Pool())
		}
		if err != nil {
			log.G(ctx).Error("node agent", log.KeyError, err)
		}
	})
	return func() {
		cancel()
		wg.Wait()
	}
}

// kubeletTransport calls node agents with the API server's client
// certificate for them. Agents' serving certificates are self-signed and
// not verified, as kube-apiserver without --kubelet-certificate-authority.
func kubeletTransport(ca *pki.CA, dir string) (*http.Transport, error) {
	cert, err := ca.Client(dir, "apiserver-kubelet-client", agent.DefaultClientName, []string{auth.MastersGroup})
	if err != nil {
		return nil, err
	}
	return &http.Transport{
		TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{cert}, InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}, //nolint:gosec // see above
		Proxy:           nil,
		IdleConnTimeout: 90 * time.Second,
	}, nil
}
