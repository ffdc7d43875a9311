package config

import (
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// Flags are skiffd's command-line overrides of the configuration. Only the
// flags actually given override anything.
type Flags struct {
	fs        *flag.FlagSet
	file      string
	dropInDir string
	mirrors   [][2]string // registry, endpoint; in the order given
	insecure  []string
	strings   map[string]*string
	timeout   time.Duration
}

// stringKeys are the keys settable by a flag of the same name.
var stringKeys = []struct {
	key, usage string
	field      func(*Config) *string
}{
	{"root", "directory for persistent state", func(c *Config) *string { return &c.Root }},
	{"run_root", "directory for volatile state", func(c *Config) *string { return &c.RunRoot }},
	{"listen", "path of the CRI unix socket", func(c *Config) *string { return &c.Listen }},
	{"log_level", "debug, info, warn or error", func(c *Config) *string { return &c.LogLevel }},
	{"log_format", "text or json", func(c *Config) *string { return &c.LogFormat }},
	{"metrics_addr", "HOST:PORT serving /metrics and /debug/pprof (off when empty)", func(c *Config) *string { return &c.MetricsAddr }},
	{"cgroup_manager", "cgroupfs or systemd (default: systemd if the host runs it)", func(c *Config) *string { return &c.CgroupManager }},
	{"shim_path", "skiff-shim binary (default: beside skiffd)", func(c *Config) *string { return &c.ShimPath }},
	{"pause_image", "image for pause containers instead of skiff-pause (default: none)", func(c *Config) *string { return &c.PauseImage }},
	{"pause_path", "static skiff-pause program for pause containers (default: beside skiffd)", func(c *Config) *string { return &c.PausePath }},
	{"shim_cgroup", "the shims' cgroup: a cgroupfs path, or a systemd slice (default: /skiff-shims or system.slice)", func(c *Config) *string { return &c.ShimCgroup }},
	{"seccomp_profile_root", "directory of relative Localhost seccomp profiles", func(c *Config) *string { return &c.SeccompProfileRoot }},
	{"streaming.address", "HOST:PORT of the exec, attach and port-forward server (default 127.0.0.1:0: loopback, any free port)", func(c *Config) *string { return &c.Streaming.Address }},
	{"streaming.tls_cert_file", "certificate file of the streaming server: it serves HTTPS (with --streaming-tls-key-file)", func(c *Config) *string { return &c.Streaming.TLSCertFile }},
	{"streaming.tls_key_file", "key file of the streaming server's certificate", func(c *Config) *string { return &c.Streaming.TLSKeyFile }},
	{"criu_path", "criu binary for checkpoint and restore (default: the newest build of hack/criu.sh in /var/cache/skiff, else criu in PATH)", func(c *Config) *string { return &c.CRIUPath }},
}

// RegisterFlags defines the configuration flags on fs.
func RegisterFlags(fs *flag.FlagSet) *Flags {
	f := &Flags{fs: fs, strings: map[string]*string{}}
	fs.StringVar(&f.file, "config", DefaultFile, "configuration file")
	fs.StringVar(&f.dropInDir, "config-dir", "", "directory of *.toml drop-ins (default: "+DefaultDropInDir+", or skiff.d beside --config)")
	for _, k := range stringKeys {
		f.strings[k.key] = fs.String(flagName(k.key), "", k.usage+" (overrides "+k.key+")")
	}
	fs.DurationVar(&f.timeout, "shutdown-timeout", 0, "how long in-flight RPCs may run after SIGTERM (overrides shutdown_timeout)")
	fs.Func("registry-mirror", "REGISTRY=URL: try URL before REGISTRY, e.g. docker.io=http://127.0.0.1:5000 (repeatable)", func(s string) error {
		reg, endpoint, ok := strings.Cut(s, "=")
		if !ok || reg == "" || endpoint == "" {
			return fmt.Errorf("want REGISTRY=URL, got %q", s)
		}
		f.mirrors = append(f.mirrors, [2]string{reg, endpoint})
		return nil
	})
	fs.Func("insecure-registry", "HOST[:PORT] reachable over plain HTTP or unverified TLS (repeatable)", func(s string) error {
		f.insecure = append(f.insecure, s)
		return nil
	})
	return f
}

// Sources returns where to read the configuration from: the default file
// unless --config names one (which then must exist), and the drop-ins of
// --config-dir, else skiff.d beside an explicit --config, else the default.
func (f *Flags) Sources() Sources {
	src := Sources{File: f.file, DropInDir: f.dropInDir}
	if f.isSet("config") {
		src.FileRequired = true
		if src.DropInDir == "" {
			src.DropInDir = filepath.Join(filepath.Dir(f.file), "skiff.d")
		}
	}
	if src.DropInDir == "" {
		src.DropInDir = DefaultDropInDir
	}
	return src
}

// Load reads the configuration from Sources and applies the flags given.
func (f *Flags) Load() (Config, error) {
	c, err := Load(f.Sources())
	if err != nil {
		return Config{}, err
	}
	f.apply(&c)
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// apply overrides c with the flags that were given. Mirror endpoints from
// flags go before those from files, insecure registries are added.
func (f *Flags) apply(c *Config) {
	for _, k := range stringKeys {
		if f.isSet(flagName(k.key)) {
			*k.field(c) = *f.strings[k.key]
		}
	}
	if f.isSet("shutdown-timeout") {
		c.ShutdownTimeout = Duration(f.timeout)
	}
	fromFlags := map[string][]string{}
	for _, m := range f.mirrors {
		fromFlags[m[0]] = append(fromFlags[m[0]], m[1])
	}
	if len(fromFlags) > 0 && c.Registry.Mirrors == nil {
		c.Registry.Mirrors = map[string][]string{}
	}
	for reg, endpoints := range fromFlags {
		c.Registry.Mirrors[reg] = append(endpoints, c.Registry.Mirrors[reg]...)
	}
	c.Registry.Insecure = append(c.Registry.Insecure, f.insecure...)
}

func (f *Flags) isSet(name string) bool {
	set := false
	f.fs.Visit(func(fl *flag.Flag) { set = set || fl.Name == name })
	return set
}
