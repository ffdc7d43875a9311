package monitor

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"

	"github.com/opencontainers/runc/libcontainer/configs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/atomicfile"
)

// Seccomp on the fast exec path: skiff-nsexec loads exactly the BPF
// program libcontainer would, with the same flags. libcontainer builds
// it with libseccomp and patches it (the -ENOSYS stub) in unexported
// code, so the create helper has a short-lived child load it through
// libcontainer and reads it back from the kernel (seccompexport.go).
// The program depends on the config, the architecture, libseccomp and
// the kernel's API level, so it is cached by those in a directory skiffd
// names beside libcontainer's state root (on tmpfs: a reboot, a new
// kernel, starts afresh), so that all containers of one profile
// (RuntimeDefault) share one export.

// flagTsync is the spec's TSYNC flag, which libcontainer ignores: its
// init is single-threaded when it loads the filter.
const flagTsync specs.LinuxSeccompFlag = "SECCOMP_FILTER_FLAG_TSYNC"

// seccompFlags returns the seccomp(2) flags libcontainer loads sc with,
// or why skiff-nsexec cannot load it as libcontainer would: a notify
// action needs libcontainer's listener fd passing.
func seccompFlags(sc *configs.Seccomp) (uint, string) {
	if sc.DefaultAction == configs.Notify {
		return 0, "seccomp notify action"
	}
	for _, s := range sc.Syscalls {
		if s != nil && s.Action == configs.Notify {
			return 0, "seccomp notify action"
		}
	}
	if sc.ListenerPath != "" {
		return 0, "seccomp listener"
	}
	var flags uint
	for _, f := range sc.Flags {
		switch f {
		case flagTsync:
		case specs.LinuxSeccompFlagLog:
			flags |= unix.SECCOMP_FILTER_FLAG_LOG
		case specs.LinuxSeccompFlagSpecAllow:
			flags |= unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW
		default:
			return 0, "seccomp flag " + string(f)
		}
	}
	return flags, ""
}

// bpfSource returns the BPF program (struct sock_filter array, native
// byte order) libcontainer loads for a seccomp config.
type bpfSource func(*configs.Seccomp) ([]byte, error)

// seccompCache is the program of each seccomp config, exported once.
// Safe for concurrent use by processes: entries are written atomically,
// and racing creates write programs libcontainer could equally have
// loaded (they may differ only in the order of the per-architecture
// parts of its -ENOSYS stub, which it emits in Go map order).
type seccompCache struct {
	dir    string // the cache directory; "" caches nothing
	export bpfSource
	key    func(configJSON []byte) string
}

// newSeccompCache returns the cache in dir ("": none) that exports with
// the binary self (the shim, which has the export verb).
func newSeccompCache(dir, self string) *seccompCache {
	return &seccompCache{
		dir:    dir,
		export: func(sc *configs.Seccomp) ([]byte, error) { return exportSeccomp(self, sc) },
		key:    seccompKey,
	}
}

// program returns sc's program from the cache, exporting it on a miss.
func (c *seccompCache) program(sc *configs.Seccomp) ([]byte, error) {
	if c.dir == "" {
		return c.exported(sc)
	}
	js, err := json.Marshal(sc)
	if err != nil {
		return nil, fmt.Errorf("seccomp config: %w", err)
	}
	path := filepath.Join(c.dir, c.key(js))
	if b, err := os.ReadFile(path); err == nil && validBPF(b) {
		return b, nil
	}
	b, err := c.exported(sc)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return nil, fmt.Errorf("seccomp cache: %w", err)
	}
	if err := atomicfile.Write(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("seccomp cache: %w", err)
	}
	return b, nil
}

// exported exports sc's program and checks it.
func (c *seccompCache) exported(sc *configs.Seccomp) ([]byte, error) {
	b, err := c.export(sc)
	if err != nil {
		return nil, err
	}
	if !validBPF(b) {
		return nil, fmt.Errorf("seccomp export: %d bytes is not a BPF program", len(b))
	}
	return b, nil
}

// validBPF: whole instructions, at least one, at most the kernel's limit.
func validBPF(b []byte) bool {
	return len(b) > 0 && len(b)%bpfInsnSize == 0 && len(b)/bpfInsnSize <= bpfMaxInsns
}

const (
	bpfInsnSize = 8    // sizeof(struct sock_filter)
	bpfMaxInsns = 4096 // BPF_MAXINSNS
)

// seccompKey names a config's cache entry: what the program depends on
// besides the kernel (the cache does not outlive a reboot).
func seccompKey(configJSON []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00", runtime.GOARCH, libseccompVersion(), moduleVersion("github.com/opencontainers/runc"))
	h.Write(configJSON)
	return hex.EncodeToString(h.Sum(nil))
}

// moduleVersion is the version of module path built into this binary.
func moduleVersion(path string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, m := range bi.Deps {
		if m.Path == path {
			if m.Replace != nil {
				return m.Replace.Path + "@" + m.Replace.Version
			}
			return m.Version
		}
	}
	return ""
}
