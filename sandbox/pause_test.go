package sandbox

import (
	"os"
	"path/filepath"
	"testing"
)

func TestEnsurePauseRootfs(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "skiff-pause")
	os.WriteFile(prog, []byte("v1"), 0o755)

	rootfs, err := EnsurePauseRootfs(dir, prog)
	if err != nil {
		t.Fatal(err)
	}
	check := func(want string) {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(rootfs, PauseBinary))
		if err != nil || string(b) != want {
			t.Fatalf("pause program in rootfs = %q, %v; want %q", b, err, want)
		}
		for _, p := range append(append([]string{}, pauseRootfsDirs...), pauseRootfsFiles...) {
			if _, err := os.Stat(filepath.Join(rootfs, p)); err != nil {
				t.Errorf("rootfs lacks %s: %v", p, err)
			}
		}
	}
	check("v1")
	if _, err := EnsurePauseRootfs(dir, prog); err != nil {
		t.Fatal(err)
	}
	check("v1")
	if _, err := EnsurePauseRootfs(filepath.Join(dir, "new", "dir"), prog); err != nil {
		t.Fatalf("into a directory not made yet: %v", err)
	}
	os.RemoveAll(filepath.Join(dir, "new"))
	os.WriteFile(prog, []byte("v2"), 0o755)
	if _, err := EnsurePauseRootfs(dir, prog); err != nil {
		t.Fatal(err)
	}
	check("v2")
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 { // skiff-pause and rootfs
		t.Errorf("dir holds %d entries, want the program and rootfs", len(entries))
	}
}
