package agent

import (
	"crypto/x509"
	"time"

	"k8s.io/client-go/kubernetes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/controlplane/agent/podnet"
)

// Config wires an Agent.
type Config struct {
	// NodeName is the Node the agent runs pods for.
	NodeName string
	// NodeIP is the node's InternalIP; "" picks the address of the
	// default route's interface.
	NodeIP string
	// NodeLabels are added to the Node's labels.
	NodeLabels map[string]string

	Client  kubernetes.Interface
	Runtime runtimeapi.RuntimeServiceClient
	Images  runtimeapi.ImageServiceClient

	// RootDir holds the pods' volumes (kubelet's /var/lib/kubelet).
	RootDir string
	// VolumeDir holds the node's local persistent volumes; the Node
	// carries it in its skiff.io/volume-dir annotation, for the volume
	// binder.
	VolumeDir string
	// LogDir holds the pods' log directories (/var/log/pods).
	LogDir string
	// CgroupRoot is the parent of the pods' cgroups (/kubepods).
	CgroupRoot string
	// ManifestDir holds static pod manifests; "" disables them.
	ManifestDir string

	// ClusterDNS and ClusterDomain are the cluster's resolver (without
	// ClusterDNS, the ClusterIPs of the kube-system/kube-dns Service);
	// ResolvConf is the host's resolv.conf for pods on the host's
	// resolver.
	ClusterDNS    []string
	ClusterDomain string
	ResolvConf    string

	// Listen is the address of the HTTPS endpoint for logs, exec, attach
	// and port-forward ("127.0.0.1:0" in tests). ClientCA verifies the
	// callers' certificates, whose common name must be one of
	// ClientNames (the API server's).
	Listen      string
	ClientCA    *x509.CertPool
	ClientNames []string

	// Routes and NAT, when set, route the other nodes' pod CIDRs to them
	// and keep pod-to-pod traffic unmasqueraded (host-gw, package
	// podnet). The node's pod CIDR goes to the runtime either way.
	Routes podnet.RouteTable
	NAT    podnet.NAT
	// PodCIDRWait is how long the agent waits, before it runs any pod,
	// for the runtime to have the node's pod CIDR (0: it does not wait).
	PodCIDRWait time.Duration

	// SyncEvery is how often each pod is synced without a reason (its
	// volumes' ConfigMaps and Secrets refresh then).
	SyncEvery time.Duration
	// RelistEvery is how often the runtime is listed for state changes.
	RelistEvery time.Duration
	// HousekeepEvery is how often static pods, mirror pods and orphans
	// are reconciled.
	HousekeepEvery time.Duration
	// StatusEvery, ReportEvery, RenewEvery and LeaseDuration time the
	// node's status and Lease (package node).
	StatusEvery, ReportEvery, RenewEvery, LeaseDuration time.Duration
}

// withDefaults fills in kubelet's timings.
func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.SyncEvery, 30*time.Second)
	def(&c.RelistEvery, time.Second)
	def(&c.HousekeepEvery, 10*time.Second)
	def(&c.StatusEvery, 10*time.Second)
	def(&c.ReportEvery, 5*time.Minute)
	def(&c.RenewEvery, 10*time.Second)
	def(&c.LeaseDuration, 40*time.Second)
	if c.CgroupRoot == "" {
		c.CgroupRoot = "/kubepods"
	}
	if c.ClusterDomain == "" {
		c.ClusterDomain = "cluster.local"
	}
	if len(c.ClientNames) == 0 {
		c.ClientNames = []string{DefaultClientName}
	}
	return c
}

// DefaultClientName is the common name of the API server's client
// certificate for agents (kube-apiserver's kubelet client).
const DefaultClientName = "kube-apiserver-kubelet-client"
