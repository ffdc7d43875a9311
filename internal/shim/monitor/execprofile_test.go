package monitor

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/runc/libcontainer/configs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/shim/api"
)

// fastConfig is a config skiff-nsexec can serve; each case spoils one field.
func fastConfig() *configs.Config {
	return &configs.Config{
		Namespaces: configs.Namespaces{{Type: configs.NEWNS}, {Type: configs.NEWPID}, {Type: configs.NEWNET, Path: "/run/netns/x"}},
		Capabilities: &configs.Capabilities{
			Bounding: []string{"CAP_CHOWN", "CAP_KILL"}, Effective: []string{"CAP_KILL"},
			Permitted: []string{"CAP_KILL"}, Ambient: []string{"CAP_NO_SUCH"},
		},
	}
}

// fakeBPF exports "ret ALLOW" for an Allow default, else fails.
func fakeBPF(sc *configs.Seccomp) ([]byte, error) {
	if sc.DefaultAction != configs.Allow {
		return nil, errors.New("seccomp export: no")
	}
	return []byte{6, 0, 0, 0, 0, 0, 0, 0}, nil
}

func TestFastExecEligibility(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(*configs.Config)
		why   string
	}{
		{"plain", func(*configs.Config) {}, ""},
		{"user namespace", func(c *configs.Config) { c.Namespaces = append(c.Namespaces, configs.Namespace{Type: configs.NEWUSER}) }, "user namespace"},
		{"time namespace", func(c *configs.Config) { c.Namespaces = append(c.Namespaces, configs.Namespace{Type: configs.NEWTIME}) }, "time namespace"},
		{"apparmor", func(c *configs.Config) { c.AppArmorProfile = "p" }, "AppArmor profile"},
		{"selinux", func(c *configs.Config) { c.ProcessLabel = "l" }, "SELinux label"},
		{"seccomp", func(c *configs.Config) { c.Seccomp = &configs.Seccomp{DefaultAction: configs.Allow} }, ""},
		{"seccomp notify", func(c *configs.Config) {
			c.Seccomp = &configs.Seccomp{DefaultAction: configs.Allow, Syscalls: []*configs.Syscall{{Name: "mkdir", Action: configs.Notify}}}
		}, "seccomp notify action"},
		{"seccomp export fails", func(c *configs.Config) { c.Seccomp = &configs.Seccomp{DefaultAction: configs.Kill} }, "seccomp export: no"},
		{"no caps", func(c *configs.Config) { c.Capabilities = nil }, "no capability sets"},
		{"rootless", func(c *configs.Config) { c.RootlessEUID = true }, "rootless"},
		{"personality", func(c *configs.Config) { c.Personality = &configs.LinuxPersonality{} }, "personality"},
		{"scheduler", func(c *configs.Config) { c.Scheduler = &configs.Scheduler{} }, "scheduler"},
		{"io priority", func(c *configs.Config) { c.IOPriority = &configs.IOPriority{} }, "I/O priority"},
		{"cpu affinity", func(c *configs.Config) { c.ExecCPUAffinity = &configs.CPUAffinity{} }, "exec CPU affinity"},
		{"intel rdt", func(c *configs.Config) { c.IntelRdt = &configs.IntelRdt{} }, "Intel RDT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := fastConfig()
			tc.spoil(cfg)
			p, why := newExecProfile("id", cfg, &specs.Process{}, map[string]string{"pids": "/sys/fs/cgroup/pids/x"}, fakeBPF)
			if why != tc.why || (p == nil) != (tc.why != "") {
				t.Errorf("newExecProfile = %v, %q; want why %q", p, why, tc.why)
			}
		})
	}
	if p, why := newExecProfile("id", fastConfig(), &specs.Process{}, nil, fakeBPF); p != nil || why != "no cgroup paths" {
		t.Errorf("without cgroups: %v, %q", p, why)
	}
}

func TestExecProfile(t *testing.T) {
	umask, oom := uint32(0o27), 500
	cfg := fastConfig()
	cfg.NoNewPrivileges, cfg.Umask, cfg.OomScoreAdj = true, &umask, &oom
	cfg.Rlimits = []configs.Rlimit{{Type: unix.RLIMIT_NOFILE, Soft: 1024, Hard: 4096}}
	p := &specs.Process{
		User: specs.User{UID: 1000, GID: 1001, AdditionalGids: []uint32{5, 6}},
		Cwd:  "/work", Env: []string{"PATH=/bin", "A=b=c"},
	}
	paths := map[string]string{"cpu": "/sys/fs/cgroup/cpu,cpuacct/x", "cpuacct": "/sys/fs/cgroup/cpu,cpuacct/x", "": "/sys/fs/cgroup/unified/x"}
	cfg.Seccomp = &configs.Seccomp{DefaultAction: configs.Allow, Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog}}
	pr, why := newExecProfile("abc", cfg, p, paths, fakeBPF)
	if pr == nil {
		t.Fatal(why)
	}
	want := strings.Join([]string{
		"cgroup=/sys/fs/cgroup/cpu,cpuacct/x", "cgroup=/sys/fs/cgroup/unified/x",
		"uid=1000", "gid=1001", "groups=5,6",
		"bnd=21", "eff=20", "prm=20", "inh=0", "amb=0", // CHOWN 0, KILL 5; an unknown name is ignored
		"nnp=1", "rlimit=7 1024 4096", "umask=27", "cwd=/work", "keyring=_ses.abc", "oom=500",
		"seccomp=0600000000000000", "seccomp_flags=2", // fakeBPF's program; SECCOMP_FILTER_FLAG_LOG
		"env=PATH=/bin", "env=A=b=c", "",
	}, "\x00")
	if got := string(pr.encode()); got != want {
		t.Errorf("encode =\n%q\nwant\n%q", got, want)
	}
	cfg.NoNewKeyring = true
	if pr, _ := newExecProfile("abc", cfg, p, paths, fakeBPF); bytes.Contains(pr.encode(), []byte("keyring=")) {
		t.Error("NoNewKeyring: the profile still joins a keyring")
	}

	dir := t.TempDir()
	if err := writeExecProfile(dir, pr); err != nil {
		t.Fatal(err)
	}
	f := loadFastExec(filepath.Join(dir, execProfileName), "/bin/true")
	if f.profile == "" || !slices.Equal(f.env, p.Env) {
		t.Errorf("loadFastExec = %+v", f)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left in the state dir: %v", entries)
	}
}

func TestFastExecChoice(t *testing.T) {
	dir := t.TempDir()
	profile := filepath.Join(dir, execProfileName)
	if err := os.WriteFile(profile, []byte("env=X=1\x00"), 0o600); err != nil {
		t.Fatal(err)
	}
	tty, _ := os.Open(os.DevNull)
	defer tty.Close()
	for _, tc := range []struct {
		name            string
		profile, nsexec string
		child           childIO
		fast            bool
	}{
		{"profile and program", profile, "/bin/true", childIO{}, true},
		{"a terminal", profile, "/bin/true", childIO{consoleSocket: tty}, false},
		{"no program built", profile, "", childIO{}, false},
		{"no profile", filepath.Join(dir, "none"), "/bin/true", childIO{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := loadFastExec(tc.profile, tc.nsexec).useFast(tc.child); got != tc.fast {
				t.Errorf("useFast = %v, want %v", got, tc.fast)
			}
		})
	}
}

func TestNsexecCommand(t *testing.T) {
	f := &fastExec{profile: "/s/p", env: []string{"HOME=", "A=1", "PATH=/bin", "A=2"}}
	for _, tc := range []struct {
		name      string
		req       api.ExecRequest
		args, env []string
	}{
		{"defaults", api.ExecRequest{Cmd: []string{"id", "-u"}},
			[]string{"skiff-nsexec", "/s/p", "7", "--", "id", "-u"}, []string{"PATH=/bin", "A=2"}},
		{"overrides", api.ExecRequest{Cmd: []string{"pwd"}, Env: []string{"B=1"}, Cwd: "/tmp", User: &api.User{UID: 1, GID: 2, AdditionalGids: []uint32{3, 4}}},
			[]string{"skiff-nsexec", "-u", "1", "-g", "2", "-G", "3,4", "-c", "/tmp", "/s/p", "7", "--", "pwd"}, []string{"B=1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := nsexecCommand("/bin/skiff-nsexec", f, 7, &tc.req)
			if !slices.Equal(cmd.Args, tc.args) || !slices.Equal(cmd.Env, tc.env) {
				t.Errorf("args %q env %q; want %q %q", cmd.Args, cmd.Env, tc.args, tc.env)
			}
		})
	}
}

func TestNsexecError(t *testing.T) {
	for _, tc := range []struct {
		step  string
		errno unix.Errno
		cmd   string
		want  string
	}{
		{"lookpath", unix.ENOENT, "nope", `exec: "nope": executable file not found in $PATH`},
		{"lookpath", unix.ENOENT, "/no/such", `exec: "/no/such": stat /no/such: no such file or directory`},
		{"setuid", unix.EPERM, "id", "setuid: operation not permitted"},
		{"seccomp", unix.EINVAL, "id", "container process: error loading seccomp filter into kernel: error loading seccomp filter: invalid argument"},
		{"seccomp_nnp", unix.EACCES, "id", "container process: unable to init seccomp: error loading seccomp filter into kernel: error loading seccomp filter: permission denied"},
	} {
		err := nsexecError(tc.step, tc.errno, []string{tc.cmd})
		if e := api.AsError(err); e.Code != "" || !strings.HasSuffix(e.Message, tc.want) {
			t.Errorf("nsexecError(%s, %v) = %v (code %q), want …%s", tc.step, tc.errno, err, e.Code, tc.want)
		}
	}
}
