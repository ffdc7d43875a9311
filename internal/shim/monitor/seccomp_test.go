package monitor

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/runc/libcontainer/configs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestSeccompFlags(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sc    configs.Seccomp
		flags uint
		why   string
	}{
		{"none", configs.Seccomp{}, 0, ""},
		{"tsync is ignored", configs.Seccomp{Flags: []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_TSYNC"}}, 0, ""},
		{"log", configs.Seccomp{Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog}}, 2, ""},
		{"spec allow", configs.Seccomp{Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagSpecAllow}}, 4, ""},
		{"log and spec allow", configs.Seccomp{Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagSpecAllow, "SECCOMP_FILTER_FLAG_TSYNC", specs.LinuxSeccompFlagLog}}, 6, ""},
		{"wait killable recv", configs.Seccomp{Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv}}, 0, "seccomp flag SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"},
		{"unknown flag", configs.Seccomp{Flags: []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_NEW"}}, 0, "seccomp flag SECCOMP_FILTER_FLAG_NEW"},
		{"notify rule", configs.Seccomp{Syscalls: []*configs.Syscall{{Name: "read", Action: configs.Allow}, {Name: "mkdir", Action: configs.Notify}}}, 0, "seccomp notify action"},
		{"notify default", configs.Seccomp{DefaultAction: configs.Notify}, 0, "seccomp notify action"},
		{"listener", configs.Seccomp{ListenerPath: "/run/agent.sock"}, 0, "seccomp listener"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			flags, why := seccompFlags(&tc.sc)
			if flags != tc.flags || why != tc.why {
				t.Errorf("seccompFlags = %d, %q; want %d, %q", flags, why, tc.flags, tc.why)
			}
		})
	}
}

// countingExport is a bpfSource that counts its calls and returns prog.
type countingExport struct {
	calls int
	prog  []byte
	err   error
}

func (e *countingExport) export(*configs.Seccomp) ([]byte, error) {
	e.calls++
	return e.prog, e.err
}

func TestSeccompCache(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "seccomp-bpf") // made by the first write
	ex := &countingExport{prog: bytes.Repeat([]byte{6, 0, 0, 0, 0, 0, 0xff, 0x7f}, 3)}
	c := newSeccompCache(dir, "/no/such/binary")
	c.export = ex.export
	a := &configs.Seccomp{DefaultAction: configs.Errno, Syscalls: []*configs.Syscall{{Name: "read", Action: configs.Allow}}}
	b := &configs.Seccomp{DefaultAction: configs.Errno, Syscalls: []*configs.Syscall{{Name: "write", Action: configs.Allow}}}

	for i, sc := range []*configs.Seccomp{a, a, b, a} {
		got, err := c.program(sc)
		if err != nil || !bytes.Equal(got, ex.prog) {
			t.Fatalf("program %d = %x, %v", i, got, err)
		}
	}
	if ex.calls != 2 {
		t.Errorf("exports for a, a, b, a: %d, want 2", ex.calls)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("cache holds %v, want one entry per config and no temp file", entries)
	}

	// A torn or foreign entry is exported again and replaced.
	for _, e := range entries {
		os.WriteFile(filepath.Join(dir, e.Name()), []byte{1, 2, 3}, 0o600)
	}
	if got, err := c.program(a); err != nil || !bytes.Equal(got, ex.prog) || ex.calls != 3 {
		t.Errorf("after a bad entry: %x, %v, %d exports", got, err, ex.calls)
	}
	if got, err := c.program(a); err != nil || !bytes.Equal(got, ex.prog) || ex.calls != 3 {
		t.Errorf("after the rewrite: %x, %v, %d exports", got, err, ex.calls)
	}

	// An export that fails, or returns no program, caches nothing.
	c.dir = filepath.Join(t.TempDir(), "empty")
	for _, bad := range []countingExport{{err: errors.New("boom")}, {prog: nil}, {prog: []byte{1, 2, 3}}} {
		c.export = bad.export
		if got, err := c.program(a); err == nil {
			t.Errorf("export %+v: program %x, no error", bad, got)
		}
	}
	if entries, _ := os.ReadDir(c.dir); len(entries) != 0 {
		t.Errorf("failed exports left %v", entries)
	}
}

// Without a directory every program is exported, and nothing written.
func TestSeccompNoCache(t *testing.T) {
	ex := &countingExport{prog: bytes.Repeat([]byte{6, 0, 0, 0, 0, 0, 0xff, 0x7f}, 2)}
	c := newSeccompCache("", "/no/such/binary")
	c.export = ex.export
	sc := &configs.Seccomp{DefaultAction: configs.Errno, Syscalls: []*configs.Syscall{{Name: "read", Action: configs.Allow}}}
	for i := range 2 {
		if got, err := c.program(sc); err != nil || !bytes.Equal(got, ex.prog) {
			t.Fatalf("program %d = %x, %v", i, got, err)
		}
	}
	if ex.calls != 2 {
		t.Errorf("exports: %d, want 2", ex.calls)
	}
	c.export = (&countingExport{prog: []byte{1, 2, 3}}).export
	if got, err := c.program(sc); err == nil {
		t.Errorf("a torn program %x was taken", got)
	}
}

func TestSeccompKey(t *testing.T) {
	k1, k2 := seccompKey([]byte(`{"a":1}`)), seccompKey([]byte(`{"a":2}`))
	if k1 == k2 || k1 != seccompKey([]byte(`{"a":1}`)) || len(k1) != 64 {
		t.Errorf("keys %s, %s", k1, k2)
	}
}
