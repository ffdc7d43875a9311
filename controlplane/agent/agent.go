package agent

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/flowcontrol"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/controlplane/agent/node"
	"github.com/skiffrt/skiff/controlplane/agent/podnet"
	"github.com/skiffrt/skiff/controlplane/agent/podspec"
	"github.com/skiffrt/skiff/controlplane/agent/prober"
	"github.com/skiffrt/skiff/controlplane/agent/runner"
	"github.com/skiffrt/skiff/controlplane/agent/server"
	"github.com/skiffrt/skiff/controlplane/agent/static"
	"github.com/skiffrt/skiff/controlplane/agent/volume"
	"github.com/skiffrt/skiff/controlplane/localstorage"
	skiffversion "github.com/skiffrt/skiff/internal/version"
)

// KubeletVersion is what the Node reports as its kubelet version: the
// Kubernetes release skiff's API follows, and skiff's own.
var KubeletVersion = "v1.37.2-skiff+" + skiffversion.Version

// Agent runs the node's pods. Use New, then Run.
type Agent struct {
	cfg         Config
	runtimeName string
	runner      *runner.Runner
	probes      *prober.Manager
	volumes     *volume.Manager
	registrar   *node.Registrar
	mirrors     *static.Mirrors
	status      *statusManager
	sources     *sources
	backoff     *flowcontrol.Backoff // container restarts
	recorder    record.EventRecorder
	broadcaster record.EventBroadcaster
	pods        cache.Indexer // the API's pods of this node
	server      *server.Server
	hostIPs     []string

	mu      sync.Mutex // guards the fields below
	workers map[types.UID]*worker
	statics map[types.UID]*corev1.Pod // by UID
}

// New connects the pieces; it asks the runtime for its name, version and
// cgroup driver and reads the host, but starts nothing.
func New(ctx context.Context, cfg Config) (*Agent, error) {
	cfg = cfg.withDefaults()
	a := &Agent{cfg: cfg, workers: map[types.UID]*worker{}, statics: map[types.UID]*corev1.Pod{},
		backoff: flowcontrol.NewBackOff(10*time.Second, 300*time.Second)}
	ver, err := cfg.Runtime.Version(ctx, &runtimeapi.VersionRequest{})
	if err != nil {
		return nil, fmt.Errorf("container runtime version: %w", err)
	}
	a.runtimeName = ver.RuntimeName
	driver := podspec.CgroupfsDriver
	if rc, err := cfg.Runtime.RuntimeConfig(ctx, &runtimeapi.RuntimeConfigRequest{}); err == nil && rc.GetLinux().GetCgroupDriver() == runtimeapi.CgroupDriver_SYSTEMD {
		driver = podspec.SystemdDriver
	}
	hostname, _ := os.Hostname()
	addrs, err := node.Addresses(cfg.NodeIP, hostname)
	if err != nil {
		return nil, err
	}
	a.hostIPs = []string{addrs[0].Address}
	if err := os.MkdirAll(cfg.RootDir, 0o755); err != nil {
		return nil, err
	}
	cpus, memory, _, _, err := node.Host(cfg.RootDir)
	if err != nil {
		return nil, err
	}
	dns, err := a.dnsOptions(ctx)
	if err != nil {
		return nil, err
	}

	a.broadcaster = record.NewBroadcaster(record.WithContext(ctx))
	a.recorder = a.broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "kubelet", Host: cfg.NodeName})
	src := newSources(cfg.Client)
	a.sources = src
	a.volumes = volume.NewManager(cfg.RootDir, src, volume.HostMounter{})
	st := node.Status(node.Facts{CPUs: cpus, Memory: memory}, corev1.NodeStatus{}, time.Now())
	a.runner = runner.New(cfg.Runtime, cfg.Images, a.volumes, src, a.recorder, runner.HostCgroups{}, runner.Node{
		LogRoot: cfg.LogDir, CgroupRoot: cfg.CgroupRoot, CgroupDriver: driver, DNS: dns,
		MemoryCapacity: memory, Allocatable: st.Allocatable, HostIPs: a.hostIPs,
	})
	a.probes = prober.NewManager(cfg.Runtime, a.recorder, a.poke)
	a.registrar = node.NewRegistrar(cfg.Client, node.Config{
		Name: cfg.NodeName, Labels: cfg.NodeLabels, Annotations: volumeDirAnnotation(cfg.VolumeDir), Facts: a.facts(addrs, ver),
		StatusEvery: cfg.StatusEvery, ReportEvery: cfg.ReportEvery, RenewEvery: cfg.RenewEvery, LeaseDuration: cfg.LeaseDuration,
	})
	a.mirrors = static.NewMirrors(cfg.Client, a.registrar.Node)
	a.status = newStatusManager(cfg.Client)
	a.server, err = server.New(server.Config{
		Listen: cfg.Listen, ClientCA: cfg.ClientCA, ClientNames: cfg.ClientNames, Dir: filepath.Join(cfg.RootDir, "pki"),
		Hosts: append([]string{cfg.NodeName, "localhost"}, a.hostIPs...), Pods: a, Runtime: cfg.Runtime,
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// dnsOptions are the cluster DNS servers (see clusterDNS), and the
// host's resolv.conf for pods that use it.
func (a *Agent) dnsOptions(ctx context.Context) (podspec.DNSOptions, error) {
	servers, err := clusterDNS(ctx, a.cfg)
	if err != nil {
		return podspec.DNSOptions{}, err
	}
	o := podspec.DNSOptions{ClusterDNS: servers, ClusterDomain: a.cfg.ClusterDomain}
	if a.cfg.ResolvConf == "" {
		return o, nil
	}
	f, err := os.Open(a.cfg.ResolvConf)
	if err != nil {
		return o, fmt.Errorf("resolv.conf for pods: %w", err)
	}
	defer f.Close()
	o.Host, err = podspec.ParseResolvConf(f)
	return o, err
}

// Run registers the node, then runs everything until ctx ends.
func (a *Agent) Run(ctx context.Context) error {
	defer a.broadcaster.Shutdown()
	a.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: a.cfg.Client.CoreV1().Events("")})
	if err := a.registrar.Register(ctx); err != nil {
		return err
	}
	slog.InfoContext(ctx, "node registered", "node", a.cfg.NodeName, "runtime", a.runtimeName, "address", a.server.Addr())
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	goRun := func(f func(context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); f(ctx) }()
	}
	goRun(a.registrar.Run)
	srvErr := make(chan error, 1)
	goRun(func(ctx context.Context) { srvErr <- a.server.Serve(ctx) })

	if err := a.startPodNetwork(ctx, goRun); err != nil {
		return err
	}
	factory := informers.NewSharedInformerFactoryWithOptions(a.cfg.Client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.FieldSelector = "spec.nodeName=" + a.cfg.NodeName }))
	inf := factory.Core().V1().Pods().Informer()
	a.pods = inf.GetIndexer()
	if _, err := inf.AddEventHandler(a.podHandler(ctx, &wg)); err != nil {
		return err
	}
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		return ctx.Err()
	}
	a.housekeep(ctx, &wg)
	goRun(a.relistLoop)
	goRun(func(ctx context.Context) { a.housekeepLoop(ctx, &wg) })
	select {
	case <-ctx.Done():
	case err := <-srvErr:
		if err != nil {
			return err
		}
	}
	factory.Shutdown()
	return nil
}

// startPodNetwork follows the Nodes to give the runtime the node's pod
// CIDR and route the others' (package podnet), and waits up to
// PodCIDRWait for the first.
func (a *Agent) startPodNetwork(ctx context.Context, goRun func(func(context.Context))) error {
	factory := informers.NewSharedInformerFactory(a.cfg.Client, 0)
	nodes := factory.Core().V1().Nodes()
	m := podnet.NewManager(a.cfg.NodeName, a.cfg.Runtime, a.cfg.Routes, a.cfg.NAT)
	if _, err := nodes.Informer().AddEventHandler(m.Handler()); err != nil {
		return err
	}
	factory.Start(ctx.Done())
	goRun(func(ctx context.Context) {
		m.Run(ctx, nodes.Lister(), nodes.Informer().HasSynced)
		factory.Shutdown()
	})
	if a.cfg.PodCIDRWait <= 0 {
		return nil
	}
	select {
	case <-m.PodCIDRApplied():
	case <-time.After(a.cfg.PodCIDRWait):
		slog.WarnContext(ctx, "node has no pod CIDR yet; running pods on the runtime's default network", "waited", a.cfg.PodCIDRWait)
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// facts reads the host and asks the runtime for its status.
func (a *Agent) facts(addrs []corev1.NodeAddress, ver *runtimeapi.VersionResponse) func(context.Context) node.Facts {
	return func(ctx context.Context) node.Facts {
		cpus, memory, storage, info, err := node.Host(a.cfg.RootDir)
		if err != nil {
			slog.WarnContext(ctx, "read host", "error", err)
		}
		info.ContainerRuntimeVersion = ver.RuntimeName + "://" + ver.RuntimeVersion
		info.KubeletVersion = KubeletVersion
		return node.Facts{Addresses: addrs, CPUs: cpus, Memory: memory, Storage: storage, Info: info,
			Port: int32(a.server.Port()), RuntimeErr: a.runtimeError(ctx)}
	}
}

// runtimeError is why the runtime is not ready, from CRI Status.
func (a *Agent) runtimeError(ctx context.Context) error {
	resp, err := a.cfg.Runtime.Status(ctx, &runtimeapi.StatusRequest{})
	if err != nil {
		return fmt.Errorf("container runtime status check may not have completed yet: %w", err)
	}
	var conds []node.RuntimeCondition
	for _, c := range resp.GetStatus().GetConditions() {
		conds = append(conds, node.RuntimeCondition{Type: c.Type, Status: c.Status, Reason: c.Reason, Message: c.Message})
	}
	return node.RuntimeError(conds)
}

// volumeDirAnnotation is the Node annotation naming the volume directory.
func volumeDirAnnotation(dir string) map[string]string {
	if dir == "" {
		return nil
	}
	return map[string]string{localstorage.VolumeDirAnnotation: dir}
}
