package oci

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

const blockChmod = `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["chmod", "fchmodat"], "action": "SCMP_ACT_ERRNO"}]}`

// seccompVariants are the ways to ask for a profile, and what each gives:
// "" unconfined, "default", "chmod" (the profile above) or an error class.
func seccompVariants(dir string) []struct {
	name string
	sc   *runtime.LinuxContainerSecurityContext
	want string
	err  error
} {
	abs := filepath.Join(dir, "block-chmod.json")
	local := func(ref string) *runtime.SecurityProfile {
		return &runtime.SecurityProfile{ProfileType: runtime.SecurityProfile_Localhost, LocalhostRef: ref}
	}
	sc := func(p *runtime.SecurityProfile, legacy string) *runtime.LinuxContainerSecurityContext {
		return &runtime.LinuxContainerSecurityContext{Seccomp: p, SeccompProfilePath: legacy}
	}
	return []struct {
		name string
		sc   *runtime.LinuxContainerSecurityContext
		want string
		err  error
	}{
		{"nil profile is unconfined", nil, "", nil},
		{"runtime default", sc(&runtime.SecurityProfile{}, ""), "default", nil},
		{"unconfined", sc(&runtime.SecurityProfile{ProfileType: runtime.SecurityProfile_Unconfined}, "runtime/default"), "", nil},
		{"localhost absolute", sc(local(abs), ""), "chmod", nil},
		{"localhost relative to the root", sc(local("block-chmod.json"), ""), "chmod", nil},
		{"legacy runtime/default", sc(nil, "runtime/default"), "default", nil},
		{"legacy docker/default", sc(nil, "docker/default"), "default", nil},
		{"legacy unconfined", sc(nil, "unconfined"), "", nil},
		{"legacy localhost", sc(nil, "localhost/"+abs), "chmod", nil},
		{"privileged ignores the profile", &runtime.LinuxContainerSecurityContext{Privileged: true, Seccomp: local("/nonexistent")}, "", nil},
		{"localhost without ref", sc(local(""), ""), "", errdefs.ErrInvalidArgument},
		{"localhost escaping the root", sc(local("../etc/shadow"), ""), "", errdefs.ErrInvalidArgument},
		{"localhost missing", sc(local(filepath.Join(dir, "nope.json")), ""), "", errdefs.ErrInvalidArgument},
		{"localhost not a profile", sc(local(filepath.Join(dir, "bad.json")), ""), "", errdefs.ErrInvalidArgument},
		{"unknown type", sc(&runtime.SecurityProfile{ProfileType: 9}, ""), "", errdefs.ErrInvalidArgument},
		{"unknown legacy", sc(nil, "strict"), "", errdefs.ErrInvalidArgument},
		{"legacy localhost without path", sc(nil, "localhost/"), "", errdefs.ErrInvalidArgument},
	}
}

func seccompDir(t *testing.T) string {
	dir := t.TempDir()
	for name, content := range map[string]string{"block-chmod.json": blockChmod, "bad.json": `{"defaultAction": "SCMP_ACT_MAYBE"}`} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestContainerSeccomp(t *testing.T) {
	dir := seccompDir(t)
	for _, tt := range seccompVariants(dir) {
		t.Run(tt.name, func(t *testing.T) {
			got, err := containerSeccomp(tt.sc, defaultCapabilities, dir, "amd64", &fakeHost{})
			if tt.err != nil {
				if !errdefs.IsInvalidArgument(err) {
					t.Errorf("err = %v, want InvalidArgument", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			switch tt.want {
			case "":
				if got != nil {
					t.Errorf("got a filter, want unconfined")
				}
			case "default":
				if got == nil || got.DefaultAction != specs.ActErrno || len(got.Syscalls[0].Names) < 300 {
					t.Errorf("got %+v, want the RuntimeDefault profile", got)
				}
			case "chmod":
				if got == nil || got.DefaultAction != specs.ActAllow || !slices.Equal(got.Syscalls[0].Names, []string{"chmod", "fchmodat"}) {
					t.Errorf("got %+v, want the block-chmod profile", got)
				}
			}
		})
	}
}

func TestRuntimeDefaultSeccomp(t *testing.T) {
	allowed := func(s *specs.LinuxSeccomp, name string) bool { return slices.Contains(s.Syscalls[0].Names, name) }
	hasRule := func(s *specs.LinuxSeccomp, name string) bool {
		return slices.ContainsFunc(s.Syscalls[1:], func(r specs.LinuxSyscall) bool { return slices.Contains(r.Names, name) })
	}
	def := runtimeDefaultSeccomp(defaultCapabilities, "amd64")
	for _, n := range []string{"read", "openat", "execve", "chroot", "ptrace", "socket", "setuid", "mknodat"} {
		if !allowed(def, n) {
			t.Errorf("default profile does not allow %s", n)
		}
	}
	for _, n := range []string{"mount", "unshare", "setns", "keyctl", "add_key", "io_uring_setup", "bpf", "reboot", "init_module", "clone", "clone3", "personality", "sethostname", "open_by_handle_at"} {
		if allowed(def, n) {
			t.Errorf("default profile allows %s unconditionally", n)
		}
	}
	for _, n := range []string{"clone", "clone3", "personality"} {
		if !hasRule(def, n) {
			t.Errorf("default profile has no rule for %s", n)
		}
	}
	if !slices.Equal(def.Architectures, []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32}) {
		t.Errorf("amd64 architectures = %v", def.Architectures)
	}

	admin := runtimeDefaultSeccomp(append(slices.Clone(defaultCapabilities), "CAP_SYS_ADMIN"), "arm64")
	for _, n := range []string{"mount", "unshare", "setns", "clone", "clone3", "sethostname"} {
		if !allowed(admin, n) {
			t.Errorf("with CAP_SYS_ADMIN, %s is not allowed", n)
		}
	}
	if hasRule(admin, "clone") {
		t.Error("with CAP_SYS_ADMIN, clone is still restricted")
	}
	if !slices.Equal(admin.Architectures, []specs.Arch{specs.ArchAARCH64, specs.ArchARM}) {
		t.Errorf("arm64 architectures = %v", admin.Architectures)
	}

	none := runtimeDefaultSeccomp(nil, "amd64")
	if allowed(none, "chroot") {
		t.Error("without CAP_SYS_CHROOT, chroot is allowed")
	}
	if slices.Contains(DefaultSeccompProfile().Syscalls[0].Names, "mount") {
		t.Error("DefaultSeccompProfile allows mount")
	}
}

func TestParseSeccompProfile(t *testing.T) {
	data, err := os.ReadFile("testdata/seccomp/profiles/audit.json")
	if err != nil {
		t.Fatal(err)
	}
	names := func(s *specs.LinuxSeccomp) (out [][]string) {
		for _, r := range s.Syscalls {
			out = append(out, r.Names)
		}
		return out
	}
	plain, err := parseSeccompProfile(data, defaultCapabilities, "amd64")
	if err != nil {
		t.Fatal(err)
	}
	if got := names(plain); len(got) != 4 || !slices.Equal(got[2], []string{"socket"}) {
		t.Errorf("default caps: rules %v, want socket's kept and clock_settime's dropped", got)
	}
	if !slices.Equal(plain.Architectures, []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32}) {
		t.Errorf("amd64 architectures from archMap = %v", plain.Architectures)
	}
	timeNet, err := parseSeccompProfile(data, []string{"CAP_SYS_TIME", "CAP_NET_ADMIN"}, "arm64")
	if err != nil {
		t.Fatal(err)
	}
	if got := names(timeNet); len(got) != 4 || !slices.Equal(got[2], []string{"clock_settime"}) {
		t.Errorf("SYS_TIME+NET_ADMIN: rules %v, want clock_settime's kept and socket's dropped", got)
	}
	if !slices.Equal(timeNet.Architectures, []specs.Arch{specs.ArchAARCH64, specs.ArchARM}) {
		t.Errorf("arm64 architectures from archMap = %v", timeNet.Architectures)
	}
	for _, bad := range []string{`[]`, `{}`, `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"action": "SCMP_ACT_ALLOW"}]}`,
		`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "NOPE"}]}`,
		`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_ALLOW", "args": [{"op": "LIKE"}]}]}`} {
		if _, err := parseSeccompProfile([]byte(bad), nil, "amd64"); err == nil {
			t.Errorf("parseSeccompProfile(%s) accepted it", bad)
		}
	}
}
