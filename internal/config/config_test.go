package config

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// writeFiles creates each name → content under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// loadWith writes files into a temp dir and loads skiff.toml there with args.
func loadWith(t *testing.T, files map[string]string, args ...string) (Config, error) {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, files)
	fs := flag.NewFlagSet("skiffd", flag.ContinueOnError)
	f := RegisterFlags(fs)
	if err := fs.Parse(append([]string{"--config", filepath.Join(dir, "skiff.toml")}, args...)); err != nil {
		t.Fatalf("parse flags: %v", err)
	}
	return f.Load()
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		args  []string
		check func(t *testing.T, c Config)
	}{
		{
			name:  "empty file gives defaults",
			files: map[string]string{"skiff.toml": ""},
			check: func(t *testing.T, c Config) {
				if !reflect.DeepEqual(c, Default()) {
					t.Errorf("got %+v, want defaults %+v", c, Default())
				}
			},
		},
		{
			name: "drop-ins apply in lexical order and tables merge",
			files: map[string]string{
				"skiff.toml":        "log_level = \"warn\"\n[registry.mirrors]\n\"docker.io\" = [\"http://a:1\"]\n",
				"skiff.d/20-b.toml": "log_level = \"error\"\n",
				"skiff.d/10-a.toml": "log_level = \"debug\"\nroot = \"/srv/skiff\"\n[registry.mirrors]\n\"gcr.io\" = [\"http://b:2\"]\n",
				"skiff.d/notes.txt": "ignored = true",
				"skiff.d/30-c.toml": "shutdown_timeout = \"1m\"\n",
			},
			check: func(t *testing.T, c Config) {
				if c.LogLevel != "error" || c.Root != "/srv/skiff" || c.ShutdownTimeout != Duration(time.Minute) {
					t.Errorf("got level %q root %q timeout %s", c.LogLevel, c.Root, c.ShutdownTimeout)
				}
				want := map[string][]string{"docker.io": {"http://a:1"}, "gcr.io": {"http://b:2"}}
				if !reflect.DeepEqual(c.Registry.Mirrors, want) {
					t.Errorf("mirrors = %v, want %v", c.Registry.Mirrors, want)
				}
			},
		},
		{
			name:  "flags override files; flag mirrors go first",
			files: map[string]string{"skiff.toml": "root = \"/a\"\nlog_format = \"json\"\n[registry]\ninsecure = [\"x:1\"]\n[registry.mirrors]\n\"docker.io\" = [\"http://file:1\"]\n"},
			args: []string{"--root", "/b", "--registry-mirror", "docker.io=http://flag:1",
				"--registry-mirror", "docker.io=http://flag:2", "--insecure-registry", "y:2", "--shutdown-timeout", "3s"},
			check: func(t *testing.T, c Config) {
				if c.Root != "/b" || c.LogFormat != "json" || c.ShutdownTimeout != Duration(3*time.Second) {
					t.Errorf("got root %q format %q timeout %s", c.Root, c.LogFormat, c.ShutdownTimeout)
				}
				if got, want := c.Registry.Mirrors["docker.io"], []string{"http://flag:1", "http://flag:2", "http://file:1"}; !reflect.DeepEqual(got, want) {
					t.Errorf("mirrors = %v, want %v", got, want)
				}
				if got, want := c.Registry.Insecure, []string{"x:1", "y:2"}; !reflect.DeepEqual(got, want) {
					t.Errorf("insecure = %v, want %v", got, want)
				}
			},
		},
		{
			name:  "streaming from the file and flags",
			files: map[string]string{"skiff.toml": "[streaming]\naddress = \"10.0.0.1:10010\"\ntls_cert_file = \"/c.pem\"\n"},
			args:  []string{"--streaming-tls-key-file", "/k.pem"},
			check: func(t *testing.T, c Config) {
				want := Streaming{Address: "10.0.0.1:10010", TLSCertFile: "/c.pem", TLSKeyFile: "/k.pem"}
				if c.Streaming != want {
					t.Errorf("streaming = %+v, want %+v", c.Streaming, want)
				}
			},
		},
		{
			name: "the default network's bridge and subnet, in a drop-in",
			files: map[string]string{
				"skiff.toml":          "[cni]\nconf_dir = \"/srv/net.d\"\n",
				"skiff.d/10-net.toml": "[cni]\ndefault_bridge = \"skiffe2e0\"\ndefault_subnet = \"10.232.0.0/16,fd00:232::/64\"\nipam_data_dir = \"/srv/ipam\"\n",
			},
			check: func(t *testing.T, c Config) {
				want := CNI{ConfDir: "/srv/net.d", BinDirs: Default().CNI.BinDirs, IPAMDataDir: "/srv/ipam",
					DefaultBridge: "skiffe2e0", DefaultSubnet: "10.232.0.0/16,fd00:232::/64"}
				if !reflect.DeepEqual(c.CNI, want) {
					t.Errorf("cni = %+v, want %+v", c.CNI, want)
				}
			},
		},
		{
			name:  "empty bridge and subnet keep the built-in ones",
			files: map[string]string{"skiff.toml": "[cni]\ndefault_bridge = \"\"\ndefault_subnet = \"\"\n"},
			check: func(t *testing.T, c Config) {
				if c.CNI.DefaultBridge != "" || c.CNI.DefaultSubnet != "" {
					t.Errorf("cni = %+v", c.CNI)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadWith(t, tt.files, tt.args...)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		args  []string
		want  []string // substrings of the error
	}{
		{"unknown key", map[string]string{"skiff.toml": "log_levle = \"debug\"\n"}, nil,
			[]string{"skiff.toml", `unknown key "log_levle"`}},
		{"unknown nested key", map[string]string{"skiff.toml": "[registry]\nmirror = {}\n"}, nil,
			[]string{"skiff.toml", `unknown key "registry.mirror"`}},
		{"bad value in drop-in", map[string]string{"skiff.toml": "", "skiff.d/50-x.toml": "log_level = \"loud\"\n"}, nil,
			[]string{"50-x.toml", `key "log_level"`, `"loud"`}},
		{"wrong type", map[string]string{"skiff.toml": "root = 7\n"}, nil,
			[]string{"skiff.toml", "root"}},
		{"bad duration", map[string]string{"skiff.toml": "shutdown_timeout = \"soon\"\n"}, nil,
			[]string{"skiff.toml", "invalid duration"}},
		{"relative path", map[string]string{"skiff.toml": "root = \"var/lib\"\n"}, nil,
			[]string{"skiff.toml", `key "root"`, "absolute"}},
		{"bad mirror URL", map[string]string{"skiff.toml": "[registry.mirrors]\n\"docker.io\" = [\"127.0.0.1:5000\"]\n"}, nil,
			[]string{"skiff.toml", `key "registry.mirrors"`, "http://"}},
		{"syntax error", map[string]string{"skiff.toml": "root = \n"}, nil,
			[]string{"skiff.toml"}},
		{"bad flag value", map[string]string{"skiff.toml": ""}, []string{"--log-format", "xml"},
			[]string{"flag --log-format", `"xml"`}},
		{"bad mirror flag", map[string]string{"skiff.toml": ""}, []string{"--registry-mirror", "docker.io=ftp://x"},
			[]string{"flag --registry-mirror", "ftp://x"}},
		{"missing explicit file", map[string]string{}, nil, []string{"skiff.toml", "no such file"}},
		{"shim cgroup neither path nor slice", map[string]string{"skiff.toml": "shim_cgroup = \"shims\"\n"}, nil,
			[]string{`key "shim_cgroup"`, "neither"}},
		{"slice for cgroupfs", map[string]string{"skiff.toml": "cgroup_manager = \"cgroupfs\"\nshim_cgroup = \"shims.slice\"\n"}, nil,
			[]string{`key "shim_cgroup"`, "give an absolute path"}},
		{"path for systemd", map[string]string{"skiff.toml": ""}, []string{"--cgroup-manager", "systemd", "--shim-cgroup", "/shims"},
			[]string{"flag --shim-cgroup", "give a slice"}},
		{"relative seccomp root", map[string]string{"skiff.toml": "seccomp_profile_root = \"seccomp\"\n"}, nil,
			[]string{`key "seccomp_profile_root"`, "absolute"}},
		{"streaming address without port", map[string]string{"skiff.toml": "[streaming]\naddress = \"0.0.0.0\"\n"}, nil,
			[]string{"skiff.toml", `key "streaming.address"`, "HOST:PORT"}},
		{"relative streaming key file", map[string]string{"skiff.toml": ""}, []string{"--streaming-tls-key-file", "k.pem"},
			[]string{"flag --streaming-tls-key-file", "absolute"}},
		{"bridge name too long", map[string]string{"skiff.toml": "[cni]\ndefault_bridge = \"skiff-e2e-bridge0\"\n"}, nil,
			[]string{"skiff.toml", `key "cni.default_bridge"`, "longer than 15"}},
		{"bridge name with a slash", map[string]string{"skiff.toml": "[cni]\ndefault_bridge = \"skiff/0\"\n"}, nil,
			[]string{"skiff.toml", `key "cni.default_bridge"`, `"skiff/0"`}},
		{"subnet not a CIDR", map[string]string{"skiff.toml": "[cni]\ndefault_subnet = \"10.232.0.0\"\n"}, nil,
			[]string{"skiff.toml", `key "cni.default_subnet"`, "10.232.0.0"}},
		{"subnet too small", map[string]string{"skiff.toml": "[cni]\ndefault_subnet = \"10.232.0.0/31\"\n"}, nil,
			[]string{"skiff.toml", `key "cni.default_subnet"`, "too small"}},
		{"relative IPAM dir", map[string]string{"skiff.toml": "[cni]\nipam_data_dir = \"ipam\"\n"}, nil,
			[]string{"skiff.toml", `key "cni.ipam_data_dir"`, "absolute"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadWith(t, tt.files, tt.args...)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestResolveShimCgroup(t *testing.T) {
	for _, tt := range []struct{ manager, set, want string }{
		{CgroupfsManager, "", "/skiff-shims"},
		{SystemdManager, "", "system.slice"},
		{CgroupfsManager, "/my/shims", "/my/shims"},
		{SystemdManager, "shims.slice", "shims.slice"},
	} {
		c := Default()
		c.CgroupManager, c.ShimCgroup = tt.manager, tt.set
		if err := c.Resolve(); err != nil || c.ShimCgroup != tt.want {
			t.Errorf("%s %q: resolved to %q, %v; want %q", tt.manager, tt.set, c.ShimCgroup, err, tt.want)
		}
	}
	c := Default()
	c.CgroupManager, c.ShimCgroup = SystemdManager, "/shims"
	if err := c.Resolve(); err == nil {
		t.Error("a cgroupfs path for systemd resolved")
	}
}

func TestDefaultFileMayBeMissing(t *testing.T) {
	dir := t.TempDir()
	c, err := Load(Sources{File: filepath.Join(dir, "absent.toml"), DropInDir: filepath.Join(dir, "absent.d")})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("got %+v, want defaults", c)
	}
}

func TestSources(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want Sources
	}{
		{"defaults", nil, Sources{File: DefaultFile, DropInDir: DefaultDropInDir}},
		{"explicit file brings its skiff.d", []string{"--config", "/tmp/x/s.toml"}, Sources{File: "/tmp/x/s.toml", FileRequired: true, DropInDir: "/tmp/x/skiff.d"}},
		{"explicit dir", []string{"--config", "/tmp/x/s.toml", "--config-dir", "/d"}, Sources{File: "/tmp/x/s.toml", FileRequired: true, DropInDir: "/d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("skiffd", flag.ContinueOnError)
			f := RegisterFlags(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if got := f.Sources(); got != tt.want {
				t.Errorf("Sources() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestWriteTOMLRoundTrips(t *testing.T) {
	c := Default()
	c.MetricsAddr = "127.0.0.1:9090"
	c.CgroupManager = SystemdManager
	c.Registry.Mirrors["docker.io"] = []string{"http://127.0.0.1:5000"}
	c.Registry.Insecure = []string{"127.0.0.1:5000"}
	var buf bytes.Buffer
	if err := c.WriteTOML(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := loadWith(t, map[string]string{"skiff.toml": buf.String()})
	if err != nil {
		t.Fatalf("Load of written config: %v\n%s", err, buf.String())
	}
	if !reflect.DeepEqual(got, c) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, c)
	}
}
