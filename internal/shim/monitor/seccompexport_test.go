//go:build cgo && seccomp

package monitor

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/opencontainers/runc/libcontainer/configs"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// The test binary is the export child too, as skiff-shim is.
func init() {
	if len(os.Args) > 1 && os.Args[1] == SeccompExportVerb {
		runtime.LockOSThread()
	}
}

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == SeccompExportVerb {
		fmt.Fprintln(os.Stderr, SeccompExport(os.Stdin))
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// allowList is a small profile: fewer than 33 rules, so libcontainer
// leaves libseccomp's tree optimisation off, as libseccompExport does.
var allowList = []string{"read", "write", "exit_group", "futex", "mkdirat", "no_such_syscall"}

// libseccompExport is libseccomp's own program for a default action
// and allowList, without libcontainer's patch.
func libseccompExport(t *testing.T, def libseccomp.ScmpAction) []byte {
	t.Helper()
	f, err := libseccomp.NewFilter(def)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	for _, name := range allowList {
		if nr, err := libseccomp.GetSyscallFromName(name); err == nil {
			if err := f.AddRule(nr, libseccomp.ActAllow); err != nil {
				t.Fatal(err)
			}
		}
	}
	out, err := os.CreateTemp(t.TempDir(), "bpf")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if err := f.ExportBPF(out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func seccompConfig(def configs.Action) *configs.Seccomp {
	sc := &configs.Seccomp{DefaultAction: def}
	for _, name := range allowList {
		sc.Syscalls = append(sc.Syscalls, &configs.Syscall{Name: name, Action: configs.Allow})
	}
	return sc
}

func exportTwice(t *testing.T, sc *configs.Seccomp) []byte {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("PTRACE_SECCOMP_GET_FILTER needs CAP_SYS_ADMIN")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	a, err := exportSeccomp(self, sc)
	if err != nil {
		t.Fatal(err)
	}
	b, err := exportSeccomp(self, sc)
	if err != nil {
		t.Fatal(err)
	}
	if !validBPF(a) || !bytes.Equal(a, b) {
		t.Fatalf("two exports differ or are no program: %d and %d bytes", len(a), len(b))
	}
	noChildLeft(t)
	return a
}

// TestSeccompExportPatched: a denying profile is libseccomp's program
// behind libcontainer's -ENOSYS stub, which must not be empty.
func TestSeccompExportPatched(t *testing.T) {
	got := exportTwice(t, seccompConfig(configs.Errno))
	want := libseccompExport(t, libseccomp.ActErrno.SetReturnCode(int16(unix.EPERM)))
	if len(got) <= len(want) || !bytes.HasSuffix(got, want) {
		t.Errorf("export: %d instructions; want a stub, then libseccomp's %d:\n%x\n%x", len(got)/8, len(want)/8, got, want)
	}
}

// TestSeccompExportAllowing: libcontainer adds no stub to a profile
// whose default allows, so the program is libseccomp's as is.
func TestSeccompExportAllowing(t *testing.T) {
	sc := seccompConfig(configs.Log)
	sc.Syscalls = []*configs.Syscall{{Name: "mkdirat", Action: configs.Errno}}
	got := exportTwice(t, sc)
	f, _ := libseccomp.NewFilter(libseccomp.ActLog)
	defer f.Release()
	nr, _ := libseccomp.GetSyscallFromName("mkdirat")
	f.AddRule(nr, libseccomp.ActErrno.SetReturnCode(int16(unix.EPERM)))
	out, _ := os.CreateTemp(t.TempDir(), "bpf")
	f.ExportBPF(out)
	out.Close()
	want, _ := os.ReadFile(out.Name())
	if len(want) == 0 || !bytes.Equal(got, want) {
		t.Errorf("export\n%x\nwant libseccomp's\n%x", got, want)
	}
}

// TestSeccompExportFailure: a config libcontainer refuses is an error
// carrying libcontainer's reason, and the child is gone.
func TestSeccompExportFailure(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("PTRACE_SECCOMP_GET_FILTER needs CAP_SYS_ADMIN")
	}
	self, _ := os.Executable()
	sc := seccompConfig(configs.Errno)
	sc.Architectures = []string{"no-such-arch"}
	prog, err := exportSeccomp(self, sc)
	if err == nil || !strings.Contains(err.Error(), "architecture") {
		t.Errorf("export of a bad arch = %d bytes, %v", len(prog), err)
	}
	noChildLeft(t)
}

// noChildLeft fails if this process has a child, reaped or not.
func noChildLeft(t *testing.T) {
	t.Helper()
	var ws unix.WaitStatus
	if pid, err := unix.Wait4(-1, &ws, unix.WNOHANG|unix.WALL, nil); err != unix.ECHILD {
		t.Errorf("a child is left: wait4 = %d, %v", pid, err)
	}
}
