package monitor

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/sys/capability"
	"github.com/opencontainers/runc/libcontainer/configs"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/skiffrt/skiff/internal/atomicfile"
	"github.com/skiffrt/skiff/internal/shim/api"
)

// execProfileName is the exec profile's file in the container's state
// directory (StateRoot/ID), which libcontainer's Destroy removes.
const execProfileName = "exec-profile"

// execProfile is what skiff-nsexec applies to an exec'd process: the
// part of libcontainer's setns init that depends on the container, fixed
// at create time. Its file is NUL-separated "key=value" records, trivial
// for the C side to read (cmd/skiff-nsexec).
type execProfile struct {
	Cgroups    []string // every cgroup directory of the container, once each
	UID, GID   uint32
	Groups     []uint32
	Caps       capSets
	NoNewPrivs bool
	Rlimits    []configs.Rlimit
	Umask      *uint32
	Cwd        string
	Env        []string
	Keyring    string // the session keyring to join; "" with NoNewKeyring
	OOMScore   *int
	// Seccomp is the BPF program libcontainer loads (struct sock_filter
	// array), nil for none; SeccompFlags its seccomp(2) flags.
	Seccomp      []byte
	SeccompFlags uint
}

// capSets are the five capability sets as bit masks.
type capSets struct {
	Bounding, Effective, Permitted, Inheritable, Ambient uint64
}

// newExecProfile returns the profile of an exec in the container that
// cfg and the spec process p describe, whose cgroups are cgroupPaths,
// or why skiff-nsexec cannot do exactly what libcontainer would: then
// every exec of this container goes through libcontainer. bpf gives
// the program of a seccomp config.
func newExecProfile(id string, cfg *configs.Config, p *specs.Process, cgroupPaths map[string]string, bpf bpfSource) (*execProfile, string) {
	if why := fastExecUnsupported(cfg); why != "" {
		return nil, why
	}
	if len(cgroupPaths) == 0 {
		return nil, "no cgroup paths"
	}
	caps, err := capMasks(cfg.Capabilities)
	if err != nil {
		return nil, err.Error()
	}
	pr := &execProfile{
		UID: p.User.UID, GID: p.User.GID, Groups: p.User.AdditionalGids,
		Caps: caps, NoNewPrivs: cfg.NoNewPrivileges, Rlimits: cfg.Rlimits,
		Umask: cfg.Umask, Cwd: p.Cwd, Env: p.Env, OOMScore: cfg.OomScoreAdj,
	}
	if !cfg.NoNewKeyring {
		pr.Keyring = "_ses." + id
	}
	for _, dir := range cgroupPaths {
		if !slices.Contains(pr.Cgroups, dir) {
			pr.Cgroups = append(pr.Cgroups, dir)
		}
	}
	slices.Sort(pr.Cgroups)
	if cfg.Seccomp != nil { // last: an export may run a child
		flags, why := seccompFlags(cfg.Seccomp)
		if why != "" {
			return nil, why
		}
		if pr.Seccomp, err = bpf(cfg.Seccomp); err != nil {
			return nil, err.Error()
		}
		pr.SeccompFlags = flags
	}
	return pr, ""
}

// fastExecUnsupported names the first feature of cfg that skiff-nsexec
// does not implement, or returns "".
func fastExecUnsupported(cfg *configs.Config) string {
	for _, ns := range cfg.Namespaces {
		switch ns.Type {
		case configs.NEWUSER:
			return "user namespace"
		case configs.NEWTIME:
			return "time namespace"
		}
	}
	switch {
	case cfg.AppArmorProfile != "":
		return "AppArmor profile"
	case cfg.ProcessLabel != "":
		return "SELinux label"
	case cfg.Capabilities == nil:
		return "no capability sets"
	case cfg.RootlessEUID || cfg.RootlessCgroups:
		return "rootless"
	case cfg.Personality != nil:
		return "personality"
	case cfg.Scheduler != nil:
		return "scheduler"
	case cfg.IOPriority != nil:
		return "I/O priority"
	case cfg.ExecCPUAffinity != nil:
		return "exec CPU affinity"
	case cfg.IntelRdt != nil:
		return "Intel RDT"
	case cfg.MemoryPolicy != nil:
		return "memory policy"
	}
	return ""
}

// capMasks turns the named capability sets into masks; like libcontainer,
// it ignores names this kernel does not know.
func capMasks(c *configs.Capabilities) (capSets, error) {
	known, err := capability.ListSupported()
	if err != nil {
		return capSets{}, fmt.Errorf("capabilities: %w", err)
	}
	bits := make(map[string]uint, len(known))
	for _, k := range known {
		bits["CAP_"+strings.ToUpper(k.String())] = uint(k)
	}
	mask := func(names []string) uint64 {
		var m uint64
		for _, n := range names {
			if b, ok := bits[n]; ok {
				m |= 1 << b
			}
		}
		return m
	}
	return capSets{
		Bounding: mask(c.Bounding), Effective: mask(c.Effective), Permitted: mask(c.Permitted),
		Inheritable: mask(c.Inheritable), Ambient: mask(c.Ambient),
	}, nil
}

// encode is the profile's file content.
func (p *execProfile) encode() []byte {
	var b bytes.Buffer
	rec := func(k, v string) {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
		b.WriteByte(0)
	}
	for _, c := range p.Cgroups {
		rec("cgroup", c)
	}
	rec("uid", strconv.FormatUint(uint64(p.UID), 10))
	rec("gid", strconv.FormatUint(uint64(p.GID), 10))
	gs := make([]string, len(p.Groups))
	for i, g := range p.Groups {
		gs[i] = strconv.FormatUint(uint64(g), 10)
	}
	rec("groups", strings.Join(gs, ","))
	for _, c := range []struct {
		k string
		v uint64
	}{{"bnd", p.Caps.Bounding}, {"eff", p.Caps.Effective}, {"prm", p.Caps.Permitted}, {"inh", p.Caps.Inheritable}, {"amb", p.Caps.Ambient}} {
		rec(c.k, strconv.FormatUint(c.v, 16))
	}
	rec("nnp", map[bool]string{false: "0", true: "1"}[p.NoNewPrivs])
	for _, r := range p.Rlimits {
		rec("rlimit", fmt.Sprintf("%d %d %d", r.Type, r.Soft, r.Hard))
	}
	if p.Umask != nil {
		rec("umask", strconv.FormatUint(uint64(*p.Umask), 8))
	}
	rec("cwd", p.Cwd)
	if p.Keyring != "" {
		rec("keyring", p.Keyring)
	}
	if p.OOMScore != nil {
		rec("oom", strconv.Itoa(*p.OOMScore))
	}
	if p.Seccomp != nil {
		rec("seccomp", hex.EncodeToString(p.Seccomp))
		rec("seccomp_flags", strconv.FormatUint(uint64(p.SeccompFlags), 10))
	}
	for _, e := range p.Env {
		rec("env", e)
	}
	return b.Bytes()
}

// profileEnv returns the env records of an encoded profile: all the
// shim needs of it (the rest is skiff-nsexec's).
func profileEnv(b []byte) []string {
	var env []string
	for rec := range bytes.SplitSeq(b, []byte{0}) {
		if v, ok := bytes.CutPrefix(rec, []byte("env=")); ok {
			env = append(env, string(v))
		}
	}
	return env
}

// writeExecProfile stores p in dir atomically and durably.
func writeExecProfile(dir string, p *execProfile) error {
	if err := atomicfile.Write(filepath.Join(dir, execProfileName), p.encode(), 0o600); err != nil {
		return api.Errorf("", "exec profile: %v", err)
	}
	return nil
}
