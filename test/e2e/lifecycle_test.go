//go:build e2e

package e2e

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestSocketMode(t *testing.T) {
	d := startDaemon(t)
	fi, err := os.Stat(d.socket)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o660 {
		t.Errorf("socket mode = %v, want socket 0660", fi.Mode())
	}
}

func TestSIGTERMExitsCleanly(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			d := startDaemon(t)
			if code := d.signal(sig, 15*time.Second); code != 0 {
				t.Errorf("exit code after %v = %d, want 0\nstderr:\n%s", sig, code, d.stderr)
			}
			if _, err := os.Stat(d.socket); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("socket left behind after %v: %v", sig, err)
			}
		})
	}
}

func TestSecondDaemonOnSameSocketRefused(t *testing.T) {
	first := startDaemon(t)
	other := newDaemonDir(t)
	code, _, stderr := runSkiffd(t,
		"--config", filepath.Join(other, "skiff.toml"),
		"--root", filepath.Join(other, "root"),
		"--run-root", filepath.Join(other, "run"),
		"--listen", first.socket)
	if code == 0 || !strings.Contains(stderr, "held by another process") {
		t.Errorf("second skiffd on the same socket: exit %d, stderr %q; want a refusal", code, stderr)
	}
	if _, err := first.runtime.Version(ctxT(t), &runtime.VersionRequest{}); err != nil {
		t.Errorf("first skiffd stopped answering: %v", err)
	}
}

func TestDaemonsSideBySide(t *testing.T) {
	a, b := startDaemon(t), startDaemon(t)
	for _, d := range []*daemon{a, b} {
		if _, err := d.runtime.Version(ctxT(t), &runtime.VersionRequest{}); err != nil {
			t.Errorf("skiffd in %s: %v", d.dir, err)
		}
	}
}

func TestStaleSocketReplacedAfterKill(t *testing.T) {
	d := startDaemon(t)
	if code := d.signal(syscall.SIGKILL, 5*time.Second); code == 0 {
		t.Fatalf("SIGKILL gave exit code 0")
	}
	if _, err := os.Stat(d.socket); err != nil {
		t.Fatalf("a killed daemon leaves its socket behind; test premise failed: %v", err)
	}
	again := startDaemonIn(t, d.dir, daemonArgs)
	if _, err := again.runtime.Version(ctxT(t), &runtime.VersionRequest{}); err != nil {
		t.Fatalf("restarted skiffd: %v", err)
	}
}

func TestRPCsLoggedAtDebug(t *testing.T) {
	d := startDaemon(t)
	if _, err := d.runtime.Version(ctxT(t), &runtime.VersionRequest{}); err != nil {
		t.Fatal(err)
	}
	d.runtime.ContainerStats(ctxT(t), &runtime.ContainerStatsRequest{ContainerId: "abc"})
	d.signal(syscall.SIGTERM, 15*time.Second)
	log := d.stderr.String()
	for _, want := range []string{
		`msg="CRI call" method=/runtime.v1.RuntimeService/Version code=OK duration=`,
		`msg="CRI call" method=/runtime.v1.RuntimeService/ContainerStats code=NotFound duration=`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}
