package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/skiffrt/skiff/internal/cni"
	"github.com/skiffrt/skiff/internal/log"
)

// KeyError names the configuration key whose value is bad, and where the
// value came from: a file, or a flag when File is empty.
type KeyError struct {
	File string
	Key  string
	Err  error
}

func (e *KeyError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("flag --%s: %v", flagName(e.Key), e.Err)
	}
	return fmt.Sprintf("%s: key %q: %v", e.File, e.Key, e.Err)
}

func (e *KeyError) Unwrap() error { return e.Err }

// flagName is the command-line flag for a configuration key.
func flagName(key string) string {
	switch key {
	case "registry.mirrors":
		return "registry-mirror"
	case "registry.insecure":
		return "insecure-registry"
	}
	return strings.NewReplacer("_", "-", ".", "-").Replace(key)
}

// Validate checks every value and returns the first bad one as a *KeyError
// with File unset.
func (c *Config) Validate() error {
	checks := []struct {
		key string
		err error
	}{
		{"root", absPath(c.Root)},
		{"run_root", absPath(c.RunRoot)},
		{"listen", absPath(c.Listen)},
		{"log_level", levelErr(c.LogLevel)},
		{"log_format", oneOf(c.LogFormat, "text", "json")},
		{"metrics_addr", optionalHostPort(c.MetricsAddr)},
		{"cgroup_manager", oneOf(c.CgroupManager, "", CgroupfsManager, SystemdManager)},
		{"shim_path", optionalAbsPath(c.ShimPath)},
		{"pause_path", optionalAbsPath(c.PausePath)},
		{"shim_cgroup", shimCgroup(c.ShimCgroup, c.CgroupManager)},
		{"seccomp_profile_root", optionalAbsPath(c.SeccompProfileRoot)},
		{"criu_path", optionalAbsPath(c.CRIUPath)},
		{"shutdown_timeout", positive(c.ShutdownTimeout)},
		{"registry.mirrors", mirrors(c.Registry.Mirrors)},
		{"registry.insecure", hosts(c.Registry.Insecure)},
		{"registry.pull_progress_timeout", notNegative(c.Registry.PullProgressTimeout)},
		{"cni.conf_dir", absPath(c.CNI.ConfDir)},
		{"cni.bin_dirs", absPaths(c.CNI.BinDirs)},
		{"cni.ipam_data_dir", optionalAbsPath(c.CNI.IPAMDataDir)},
		{"cni.default_bridge", optional(c.CNI.DefaultBridge, cni.CheckBridgeName)},
		{"cni.default_subnet", optional(c.CNI.DefaultSubnet, cni.CheckSubnet)},
		{"streaming.address", hostPort(c.Streaming.Address)},
		{"streaming.tls_cert_file", optionalAbsPath(c.Streaming.TLSCertFile)},
		{"streaming.tls_key_file", optionalAbsPath(c.Streaming.TLSKeyFile)},
	}
	for _, ch := range checks {
		if ch.err != nil {
			return &KeyError{Key: ch.key, Err: ch.err}
		}
	}
	return nil
}

// optional applies check to v unless v is empty (the built-in default).
func optional(v string, check func(string) error) error {
	if v == "" {
		return nil
	}
	return check(v)
}

func absPath(p string) error {
	if p == "" {
		return errors.New("must not be empty")
	}
	return optionalAbsPath(p)
}

func absPaths(ps []string) error {
	if len(ps) == 0 {
		return errors.New("must name at least one directory")
	}
	for _, p := range ps {
		if err := absPath(p); err != nil {
			return err
		}
	}
	return nil
}

func optionalAbsPath(p string) error {
	if p != "" && !filepath.IsAbs(p) {
		return fmt.Errorf("%q is not an absolute path", p)
	}
	return nil
}

// shimCgroup accepts an absolute cgroupfs path or a systemd slice name,
// whichever the cgroup manager (when set) takes.
func shimCgroup(v, manager string) error {
	slice := strings.HasSuffix(v, ".slice") && !strings.ContainsAny(v, "/:")
	switch {
	case v == "":
		return nil
	case !slice && !filepath.IsAbs(v):
		return fmt.Errorf("%q is neither an absolute cgroupfs path nor a systemd slice", v)
	case slice && manager == CgroupfsManager:
		return fmt.Errorf("%q is a systemd slice, but cgroup_manager is %s: give an absolute path", v, manager)
	case !slice && manager == SystemdManager:
		return fmt.Errorf("%q is a cgroupfs path, but cgroup_manager is %s: give a slice such as system.slice", v, manager)
	}
	return nil
}

func levelErr(s string) error {
	_, err := log.ParseLevel(s)
	return err
}

func oneOf(v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	var shown []string
	for _, a := range allowed {
		if a != "" {
			shown = append(shown, a)
		}
	}
	return fmt.Errorf("invalid value %q (want one of %s)", v, strings.Join(shown, ", "))
}

func optionalHostPort(addr string) error {
	if addr == "" {
		return nil
	}
	return hostPort(addr)
}

func hostPort(addr string) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("%q is not HOST:PORT: %w", addr, err)
	}
	return nil
}

func positive(d Duration) error {
	if d <= 0 {
		return fmt.Errorf("must be positive, got %s", d)
	}
	return nil
}

func notNegative(d Duration) error {
	if d < 0 {
		return fmt.Errorf("must not be negative, got %s", d)
	}
	return nil
}

func mirrors(m map[string][]string) error {
	for reg, endpoints := range m {
		if err := registryHost(reg); err != nil {
			return fmt.Errorf("registry %q: %w", reg, err)
		}
		for _, e := range endpoints {
			if err := endpointURL(e); err != nil {
				return fmt.Errorf("mirror of %s: %w", reg, err)
			}
		}
	}
	return nil
}

func hosts(hs []string) error {
	for _, h := range hs {
		if err := registryHost(h); err != nil {
			return fmt.Errorf("%q: %w", h, err)
		}
	}
	return nil
}

// registryHost accepts HOST or HOST:PORT, without scheme or path.
func registryHost(h string) error {
	if h == "" || strings.ContainsAny(h, "/ ") || strings.Contains(h, "://") {
		return errors.New("want HOST or HOST:PORT, without scheme or path")
	}
	return nil
}

// endpointURL accepts http:// or https:// URLs with a host.
func endpointURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http:// or https:// URL", s)
	}
	return nil
}
