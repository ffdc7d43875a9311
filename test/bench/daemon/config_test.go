package daemon

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

func TestContainerdConfig(t *testing.T) {
	dir := t.TempDir()
	rt, err := NewContainerd(ContainerdConfig{
		Dir: dir, Registry: "127.0.0.1:5000", Mirrored: []string{"docker.io", "registry.k8s.io"},
		CNIDir: "/n", CNIBinDir: "/usr/lib/cni", PauseImage: "registry.k8s.io/pause:3.10",
	})
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Version  int
		Root     string
		State    string
		GRPC     struct{ Address string }
		Disabled []string `toml:"disabled_plugins"`
		Plugins  map[string]struct {
			SandboxImage string `toml:"sandbox_image"`
			StreamAddr   string `toml:"stream_server_address"`
			StreamPort   string `toml:"stream_server_port"`
			StreamTLS    bool   `toml:"enable_tls_streaming"`
			Netns        bool   `toml:"netns_mounts_under_state_dir"`
			CNI          struct {
				BinDir  string `toml:"bin_dir"`
				ConfDir string `toml:"conf_dir"`
			}
			Containerd struct {
				Runtimes map[string]struct {
					Options struct {
						BinaryName, Root string
						SystemdCgroup    bool
					}
				}
			}
			Registry struct {
				Mirrors map[string]struct{ Endpoint []string }
			}
		}
	}
	if _, err := toml.DecodeFile(filepath.Join(dir, "config.toml"), &cfg); err != nil {
		t.Fatalf("config.toml does not parse: %v", err)
	}
	cri := cfg.Plugins["io.containerd.grpc.v1.cri"]
	state := filepath.Join(dir, "state")
	checks := []struct {
		name      string
		got, want any
	}{
		{"version", cfg.Version, 2},
		{"root", cfg.Root, filepath.Join(dir, "root")},
		{"socket", cfg.GRPC.Address, rt.Socket()},
		{"socket under state", filepath.Dir(rt.Socket()), state},
		{"sandbox image", cri.SandboxImage, "registry.k8s.io/pause:3.10"},
		{"netns under state", cri.Netns, true},
		{"stream server on loopback", cri.StreamAddr, "127.0.0.1"},
		{"stream server on a free port", cri.StreamPort, "0"},
		{"stream server without TLS", cri.StreamTLS, false},
		{"cni conf", cri.CNI.ConfDir, "/n"},
		{"cni bin", cri.CNI.BinDir, "/usr/lib/cni"},
		{"runc root", cri.Containerd.Runtimes["runc"].Options.Root, filepath.Join(state, "runc")},
		{"runc binary", cri.Containerd.Runtimes["runc"].Options.BinaryName, RuncBin},
		{"cgroupfs", cri.Containerd.Runtimes["runc"].Options.SystemdCgroup, false},
		{"docker.io mirror", strings.Join(cri.Registry.Mirrors["docker.io"].Endpoint, ","), "http://127.0.0.1:5000"},
		{"registry.k8s.io mirror", strings.Join(cri.Registry.Mirrors["registry.k8s.io"].Endpoint, ","), "http://127.0.0.1:5000"},
		{"opt plugin off", slices.Contains(cfg.Disabled, "io.containerd.internal.v1.opt"), true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestSkiffdConfig(t *testing.T) {
	dir := t.TempDir()
	rt, err := NewSkiffd(SkiffdConfig{Bin: "/b", Dir: dir, Registry: "127.0.0.1:5000", Mirrored: []string{"docker.io"}, CNIDir: "/n", PauseImage: "registry.k8s.io/pause:3.10"})
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		CgroupManager string `toml:"cgroup_manager"`
		PauseImage    string `toml:"pause_image"`
		CNI           struct {
			ConfDir string   `toml:"conf_dir"`
			BinDirs []string `toml:"bin_dirs"`
		}
		Streaming struct{ Address string }
	}
	if _, err := toml.DecodeFile(filepath.Join(dir, "skiff.toml"), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.CgroupManager != "cgroupfs" || cfg.PauseImage != "registry.k8s.io/pause:3.10" || cfg.CNI.ConfDir != "/n" || len(cfg.CNI.BinDirs) == 0 {
		t.Errorf("skiff.toml = %+v", cfg)
	}
	if cfg.Streaming.Address != "127.0.0.1:0" {
		t.Errorf("streaming address %q, want a free loopback port", cfg.Streaming.Address)
	}
	args := strings.Join(rt.args, " ")
	for _, want := range []string{"--registry-mirror docker.io=http://127.0.0.1:5000", "--insecure-registry 127.0.0.1:5000", "--log-level info", "--listen " + rt.Socket()} {
		if !strings.Contains(args, want) {
			t.Errorf("skiffd args %q lack %q", args, want)
		}
	}
	if !strings.HasPrefix(rt.Socket(), dir) || rt.shimExe != "/b/skiff-shim" {
		t.Errorf("socket %s, shim %s", rt.Socket(), rt.shimExe)
	}
}
