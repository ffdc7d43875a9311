//go:build linux && cgo && seccomp

package oci

import (
	"os"
	"os/exec"
	goruntime "runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/opencontainers/runc/libcontainer/seccomp"
	"github.com/opencontainers/runc/libcontainer/specconv"
	"golang.org/x/sys/unix"
)

// seccompChildEnv makes the test binary a child that installs skiff's
// RuntimeDefault filter, as runc would, and execs a shell script under it.
const seccompChildEnv = "SKIFF_OCI_SECCOMP_CHILD"

// TestRuntimeDefaultSeccompInKernel compiles the RuntimeDefault profile
// with libseccomp, loads it and runs ordinary commands under it: they
// work, and what the profile denies fails with EPERM.
func TestRuntimeDefaultSeccompInKernel(t *testing.T) {
	if os.Getenv(seccompChildEnv) != "" {
		seccompChild(t)
		return
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare(1)")
	}
	script := `ls / >/dev/null && cat /proc/self/status | grep -q Seccomp && echo ok;` +
		` sh -c 'echo child' ; unshare -U true 2>/dev/null || echo unshare-denied`
	cmd := exec.Command(os.Args[0], "-test.run=^TestRuntimeDefaultSeccompInKernel$", "-test.v")
	cmd.Env = append(os.Environ(), seccompChildEnv+"="+script)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	for _, want := range []string{"ok\n", "child\n", "unshare-denied\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// seccompChild installs the filter on this thread and execs the script.
func seccompChild(t *testing.T) {
	goruntime.LockOSThread()
	cfg, err := specconv.SetupSeccomp(DefaultSeccompProfile())
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := seccomp.InitSeccomp(cfg); err != nil {
		t.Fatalf("libseccomp refuses the profile: %v", err)
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	err = syscall.Exec(sh, []string{"sh", "-c", os.Getenv(seccompChildEnv)}, os.Environ())
	t.Fatalf("exec: %v", err)
}
