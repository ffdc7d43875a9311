package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ContainerdConfig is what the reference runtime needs.
type ContainerdConfig struct {
	Dir        string // its own state directory, created
	Registry   string
	Mirrored   []string
	CNIDir     string
	CNIBinDir  string
	PauseImage string // sandbox_image, served by the test registry
}

// Debian's paths of the reference runtime (packages containerd, runc).
const (
	ContainerdBin  = "/usr/bin/containerd"
	ContainerdShim = "/usr/bin/containerd-shim-runc-v2"
	RuncBin        = "/usr/sbin/runc"
)

// NewContainerd prepares containerd in cfg.Dir with its own root, state,
// socket and runc root, the CRI plugin on the benchmark's CNI directory
// and the same registry mirrors as skiffd; cgroupfs, as skiffd here. Its
// streaming server listens on a free loopback port over plain HTTP, as
// skiffd's does.
// Plugins that would touch the host's default paths (opt) or probe for
// absent filesystems are disabled.
func NewContainerd(cfg ContainerdConfig) (*Runtime, error) {
	root, state := filepath.Join(cfg.Dir, "root"), filepath.Join(cfg.Dir, "state")
	sock := filepath.Join(state, "containerd.sock")
	var b strings.Builder
	fmt.Fprintf(&b, `version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]

[grpc]
  address = %q

[ttrpc]
  address = %q

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %q
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_tls_streaming = false
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = %q
        Root = %q
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = %q
    conf_dir = %q
    max_conf_num = 1
`, root, state, sock, sock+".ttrpc", cfg.PauseImage, RuncBin, filepath.Join(state, "runc"), cfg.CNIBinDir, cfg.CNIDir)
	for _, h := range cfg.Mirrored {
		fmt.Fprintf(&b, "  [plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.%q]\n    endpoint = %s\n", h, joinQuoted([]string{"http://" + cfg.Registry}))
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	conf := filepath.Join(cfg.Dir, "config.toml")
	if err := os.WriteFile(conf, []byte(b.String()), 0o644); err != nil {
		return nil, err
	}
	return &Runtime{
		name:     "containerd",
		bin:      ContainerdBin,
		args:     []string{"--config", conf, "--log-level", "info"},
		env:      offlineProxy,
		sock:     sock,
		logPath:  filepath.Join(cfg.Dir, "containerd.log"),
		shimExe:  ContainerdShim,
		shimMark: sock,
	}, nil
}

// joinQuoted renders strings as a TOML array.
func joinQuoted(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
