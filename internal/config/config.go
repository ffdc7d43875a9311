package config

import (
	"fmt"
	"time"

	"github.com/skiffrt/skiff/internal/cni"
)

// Default locations.
const (
	DefaultFile      = "/etc/skiff/skiff.toml"
	DefaultDropInDir = "/etc/skiff/skiff.d"
)

// Cgroup managers, as RuntimeConfig reports them to kubelet.
const (
	CgroupfsManager = "cgroupfs"
	SystemdManager  = "systemd"
)

// Config is skiffd's effective configuration. It is plain data: built once
// at start-up and read-only afterwards.
type Config struct {
	// Root holds persistent state: metadata, images, container layers.
	Root string `toml:"root" json:"root"`
	// RunRoot holds volatile state: sockets, shim state, netns mounts.
	RunRoot string `toml:"run_root" json:"run_root"`
	// Listen is the path of the CRI unix socket.
	Listen string `toml:"listen" json:"listen"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `toml:"log_level" json:"log_level"`
	// LogFormat is text or json.
	LogFormat string `toml:"log_format" json:"log_format"`
	// MetricsAddr is host:port for Prometheus metrics and pprof; empty is off.
	MetricsAddr string `toml:"metrics_addr" json:"metrics_addr"`
	// CgroupManager is cgroupfs or systemd; empty means systemd when the
	// host runs systemd, cgroupfs otherwise.
	CgroupManager string `toml:"cgroup_manager" json:"cgroup_manager"`
	// ShimPath is the skiff-shim binary; empty means beside skiffd.
	ShimPath string `toml:"shim_path" json:"shim_path"`
	// PausePath is the static skiff-pause program that pause containers
	// run; empty means beside skiffd.
	PausePath string `toml:"pause_path" json:"pause_path"`
	// CRIUPath is the criu binary that checkpoint and restore run; empty
	// means the newest build of hack/criu.sh under /var/cache/skiff, else
	// criu in PATH.
	CRIUPath string `toml:"criu_path" json:"criu_path"`
	// PauseImage, when set, is the image pause containers run instead of
	// skiff-pause (e.g. "registry.k8s.io/pause:3.10"): pulled on first
	// use and pinned.
	PauseImage string `toml:"pause_image" json:"pause_image"`
	// ShimCgroup is the cgroup the shims move into, out of skiffd's, so
	// that a restart of skiffd or a limit on it never touches them: with
	// the cgroupfs manager an absolute path shared by all shims (default
	// /skiff-shims), with systemd a slice (default system.slice) in which
	// each shim gets a scope skiff-shim-<id>.scope.
	ShimCgroup string `toml:"shim_cgroup" json:"shim_cgroup"`
	// SeccompProfileRoot is where relative Localhost seccomp profiles
	// are found (kubelet sends absolute ones).
	SeccompProfileRoot string `toml:"seccomp_profile_root" json:"seccomp_profile_root"`
	// ShutdownTimeout bounds how long in-flight RPCs may run after
	// SIGTERM before they are cut off.
	ShutdownTimeout Duration `toml:"shutdown_timeout" json:"shutdown_timeout"`
	// Registry configures image pulls.
	Registry Registry `toml:"registry" json:"registry"`
	// CNI configures pod networking.
	CNI CNI `toml:"cni" json:"cni"`
	// Streaming configures the server of exec, attach and port-forward.
	Streaming Streaming `toml:"streaming" json:"streaming"`
}

// Streaming configures the streaming server, whose URLs the CRI Exec,
// Attach and PortForward calls hand out.
type Streaming struct {
	// Address is HOST:PORT; port 0 lets the kernel choose. The default is
	// loopback: kubelet, on the same node, proxies the streams.
	Address string `toml:"address" json:"address"`
	// TLSCertFile and TLSKeyFile, both or neither, make it serve HTTPS.
	TLSCertFile string `toml:"tls_cert_file" json:"tls_cert_file"`
	TLSKeyFile  string `toml:"tls_key_file" json:"tls_key_file"`
}

// CNI says where pod network configs and plugins are.
type CNI struct {
	// ConfDir holds network configs; the first in lexical order is used,
	// and skiff's own bridge network when there is none.
	ConfDir string `toml:"conf_dir" json:"conf_dir"`
	// BinDirs are searched in order for plugin binaries.
	BinDirs []string `toml:"bin_dirs" json:"bin_dirs"`
	// IPAMDataDir is where the default network's host-local IPAM keeps
	// its leases; empty keeps host-local's /var/lib/cni/networks. Set it
	// for skiffds that share a host (one per simulated node).
	IPAMDataDir string `toml:"ipam_data_dir" json:"ipam_data_dir"`
	// DefaultBridge is the bridge of skiff's own network; empty means
	// skiff0. A bridge outlives skiffd: give skiffds that share a host
	// (tests) names of their own.
	DefaultBridge string `toml:"default_bridge" json:"default_bridge"`
	// DefaultSubnet is the range skiff's own network allocates pod IPs
	// from until a pod CIDR is set (CRI UpdateRuntimeConfig): a CIDR, or
	// an IPv4 and an IPv6 one comma-separated; empty means 10.88.0.0/16.
	DefaultSubnet string `toml:"default_subnet" json:"default_subnet"`
}

// Registry configures how image references reach registries.
type Registry struct {
	// Mirrors maps a registry host (docker.io) to mirror endpoints
	// (http://127.0.0.1:5000), tried in order before the registry itself.
	Mirrors map[string][]string `toml:"mirrors" json:"mirrors"`
	// Insecure lists HOST[:PORT] registries that may be reached over plain
	// HTTP or with unverified TLS. Loopback addresses always may.
	Insecure []string `toml:"insecure" json:"insecure"`
	// PullProgressTimeout fails a pull that receives no bytes for this
	// long; zero waits forever.
	PullProgressTimeout Duration `toml:"pull_progress_timeout" json:"pull_progress_timeout"`
}

// Default returns the built-in configuration.
func Default() Config {
	return Config{
		Root:               "/var/lib/skiff",
		RunRoot:            "/run/skiff",
		Listen:             "/run/skiff/skiff.sock",
		LogLevel:           "info",
		LogFormat:          "text",
		SeccompProfileRoot: "/var/lib/kubelet/seccomp",
		ShutdownTimeout:    Duration(10 * time.Second),
		CNI: CNI{
			ConfDir:       "/etc/cni/net.d",
			BinDirs:       []string{"/usr/lib/cni", "/opt/cni/bin"},
			DefaultBridge: cni.DefaultBridgeName,
			DefaultSubnet: cni.DefaultSubnet,
		},
		Registry: Registry{
			Mirrors:             map[string][]string{},
			PullProgressTimeout: Duration(time.Minute),
		},
		Streaming: Streaming{Address: "127.0.0.1:0"},
	}
}

// Duration is a time.Duration written as a Go duration string ("10s").
type Duration time.Duration

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q (want e.g. \"10s\" or \"1m30s\")", b)
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes d as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(time.Duration(d).String()), nil
}

// String returns d as a Go duration string.
func (d Duration) String() string { return time.Duration(d).String() }
