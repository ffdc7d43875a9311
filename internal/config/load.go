package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/BurntSushi/toml"

	"github.com/skiffrt/skiff/internal/criu"
)

// Sources names the files the configuration is read from.
type Sources struct {
	// File is the main TOML file.
	File string
	// FileRequired makes a missing File an error; set when it was named
	// explicitly rather than left at its default.
	FileRequired bool
	// DropInDir holds *.toml drop-ins, applied in lexical order after File.
	// A missing directory is not an error.
	DropInDir string
}

// Load reads the defaults, then File, then the drop-ins. An unknown key, a
// value of the wrong type or a bad value is an error naming the file and
// the key.
func Load(src Sources) (Config, error) {
	c := Default()
	if err := decodeFile(&c, src.File, !src.FileRequired); err != nil {
		return Config{}, err
	}
	dropIns, err := filepath.Glob(filepath.Join(src.DropInDir, "*.toml"))
	if err != nil {
		return Config{}, fmt.Errorf("config drop-ins in %s: %w", src.DropInDir, err)
	}
	for _, f := range dropIns { // Glob sorts lexically.
		if err := decodeFile(&c, f, false); err != nil {
			return Config{}, err
		}
	}
	return c, nil
}

// decodeFile applies the TOML file at path on top of c and validates the
// result, so that an error points at the first file that made it bad.
func decodeFile(c *Config, path string, missingOK bool) error {
	b, err := os.ReadFile(path)
	if missingOK && errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	md, err := toml.Decode(string(b), c)
	if err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		return fmt.Errorf("config %s: unknown key %q", path, undecoded[0].String())
	}
	if err := c.Validate(); err != nil {
		var ke *KeyError
		if errors.As(err, &ke) {
			ke.File = path
		}
		return fmt.Errorf("config %w", err)
	}
	return nil
}

// Resolve fills the values whose defaults depend on the host: the shim
// and pause programs beside the running executable, the criu binary
// (criu.Find), the cgroup manager the host's init system implies, and the
// shims' cgroup that manager takes. A host without criu keeps criu_path
// empty: checkpoint and restore then say that CRIU is not installed.
func (c *Config) Resolve() error {
	for _, p := range []struct {
		path *string
		name string
	}{{&c.ShimPath, "skiff-shim"}, {&c.PausePath, "skiff-pause"}} {
		if *p.path != "" {
			continue
		}
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("locate %s beside skiffd: %w", p.name, err)
		}
		*p.path = filepath.Join(filepath.Dir(exe), p.name)
	}
	if c.CRIUPath == "" {
		c.CRIUPath = criu.Find(criu.CacheDir)
	}
	if c.CgroupManager == "" {
		c.CgroupManager = CgroupfsManager
		if systemdBooted() {
			c.CgroupManager = SystemdManager
		}
	}
	if c.ShimCgroup == "" {
		c.ShimCgroup = map[string]string{CgroupfsManager: "/skiff-shims", SystemdManager: "system.slice"}[c.CgroupManager]
	}
	if err := shimCgroup(c.ShimCgroup, c.CgroupManager); err != nil {
		return &KeyError{Key: "shim_cgroup", Err: err}
	}
	return nil
}

// systemdBooted reports whether the host was booted with systemd, the test
// sd_booted(3) makes.
func systemdBooted() bool {
	fi, err := os.Stat("/run/systemd/system")
	return err == nil && fi.IsDir()
}

// WriteTOML writes c as a TOML file that Load reads back to c.
func (c Config) WriteTOML(w io.Writer) error {
	return toml.NewEncoder(w).Encode(c)
}
