package daemon

import (
	"fmt"
	"os"
	"path/filepath"
)

// SkiffdConfig is what the benchmark's skiffd needs.
type SkiffdConfig struct {
	Bin      string   // directory of skiffd, skiff-shim and skiff-pause
	Dir      string   // its own state directory, created
	Registry string   // host:port of the test registry
	Mirrored []string // registry hosts mirrored to it
	CNIDir   string   // the benchmark's CNI config directory
	LogLevel string   // debug gives the span log the breakdown reads
	// PauseImage is the pause image, as the reference's sandbox image;
	// "" runs skiffd's default, the skiff-pause beside it from a rootfs
	// built locally.
	PauseImage string
}

// offlineProxy keeps registry traffic on this machine: anything that is
// not a mirror on loopback goes to a closed port and fails at once.
var offlineProxy = []string{"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "NO_PROXY=127.0.0.1", "https_proxy=", "http_proxy=", "no_proxy="}

// NewSkiffd prepares a skiffd in cfg.Dir: its own root, run root, socket
// and configuration (cgroupfs, the benchmark's CNI directory), with every
// mirrored registry pointed at the test registry, and its streaming
// server on a free loopback port over plain HTTP.
func NewSkiffd(cfg SkiffdConfig) (*Runtime, error) {
	root, run := filepath.Join(cfg.Dir, "root"), filepath.Join(cfg.Dir, "run")
	conf := filepath.Join(cfg.Dir, "skiff.toml")
	toml := fmt.Sprintf("cgroup_manager = \"cgroupfs\"\npause_image = %q\n\n[cni]\nconf_dir = %q\nbin_dirs = [\"/usr/lib/cni\", \"/opt/cni/bin\"]\n\n[streaming]\naddress = \"127.0.0.1:0\"\n", cfg.PauseImage, cfg.CNIDir)
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(conf, []byte(toml), 0o644); err != nil {
		return nil, err
	}
	level := cfg.LogLevel
	if level == "" {
		level = "info"
	}
	sock := filepath.Join(run, "skiff.sock")
	args := []string{"--config", conf, "--root", root, "--run-root", run, "--listen", sock, "--log-level", level}
	for _, h := range cfg.Mirrored {
		args = append(args, "--registry-mirror", h+"=http://"+cfg.Registry)
	}
	args = append(args, "--insecure-registry", cfg.Registry)
	return &Runtime{
		name:     "skiff",
		bin:      filepath.Join(cfg.Bin, "skiffd"),
		args:     args,
		env:      offlineProxy,
		sock:     sock,
		logPath:  filepath.Join(cfg.Dir, "skiffd.log"),
		shimExe:  filepath.Join(cfg.Bin, "skiff-shim"),
		shimMark: run + string(os.PathSeparator),
	}, nil
}
