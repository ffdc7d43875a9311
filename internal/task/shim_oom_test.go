package task

import (
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestOOMKilled: a container over its 16 MiB memory limit has a process
// OOM-killed; the exit says so (memory.oom_control's oom_kill counter on
// this cgroup v1 memory hierarchy).
func TestOOMKilled(t *testing.T) {
	t.Parallel()
	b := newBundle(t, "sh", "-c", "head -c 104857600 /dev/zero | tail")
	limit := int64(16 << 20)
	b.spec.Linux.Resources = &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}}
	started, c := b.start(t)
	if _, err := c.start(ctx(t)); err != nil {
		t.Fatal(err)
	}
	exit, err := b.wait(t, c)
	if err != nil {
		t.Fatal(err)
	}
	if !exit.OOMKilled || exit.Reason != "OOMKilled" || exit.ExitCode != 137 {
		t.Errorf("exit = %+v, want OOMKilled with code 137", exit)
	}
	waitGone(t, started.ShimPid, 5*time.Second)
	b.assertCleanedUp(t)
}

// TestNotOOMKilled: a container that stays within its limit is not
// reported OOM-killed.
func TestNotOOMKilled(t *testing.T) {
	t.Parallel()
	b := newBundle(t, "sh", "-c", "head -c 1048576 /dev/zero | tail >/dev/null; exit 0")
	limit := int64(16 << 20)
	b.spec.Linux.Resources = &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}}
	_, c := b.start(t)
	if _, err := c.start(ctx(t)); err != nil {
		t.Fatal(err)
	}
	exit, err := b.wait(t, c)
	if err != nil {
		t.Fatal(err)
	}
	if exit.OOMKilled || exit.Reason != "Completed" || exit.ExitCode != 0 {
		t.Errorf("exit = %+v, want Completed", exit)
	}
}
