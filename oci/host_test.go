package oci

import (
	"os"
	"path/filepath"
	"testing"
)

// The real host, on paths of the test's own.

func TestOSHostBindSource(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "a", "b")
	got, err := osHost{}.BindSource(missing)
	if err != nil || got != missing {
		t.Fatalf("BindSource(missing) = %q, %v", got, err)
	}
	if fi, err := os.Stat(missing); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o755 {
		t.Errorf("missing source not created as a 0755 dir: %v %v", fi, err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(missing, link); err != nil {
		t.Fatal(err)
	}
	if got, err := (osHost{}).BindSource(link); err != nil || got != missing {
		t.Errorf("BindSource(link) = %q, %v; want %q", got, err, missing)
	}
}

func TestOSHostDevices(t *testing.T) {
	devs, err := osHost{}.Devices("/dev/null")
	if err != nil || len(devs) != 1 || devs[0].Type != "c" || devs[0].Major != 1 || devs[0].Minor != 3 || devs[0].Path != "/dev/null" {
		t.Errorf("Devices(/dev/null) = %+v, %v", devs, err)
	}
	if _, err := (osHost{}).Devices(t.TempDir() + "/nope"); err == nil {
		t.Error("Devices of a missing path succeeded")
	}
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := (osHost{}).Devices(f); err == nil {
		t.Error("Devices of a regular file succeeded")
	}
}

func TestPropagationOf(t *testing.T) {
	for optional, want := range map[string]string{
		"":                   "private",
		"shared:1":           "shared",
		"master:3":           "slave",
		"shared:5 master:3":  "shared",
		"propagate_from:2 x": "private",
	} {
		if got := propagationOf(optional); got != want {
			t.Errorf("propagationOf(%q) = %q, want %q", optional, got, want)
		}
	}
}
