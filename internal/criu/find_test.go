package criu

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"criu-4.2.1-1", "criu-4.2.1-1", 0},
		{"criu-4.2.1-1", "criu-4.10.0-1", -1},
		{"criu-4.2.1-2", "criu-4.2.1-1", 1},
		{"criu-4.2-1", "criu-4.2.1-1", -1},
		{"criu-4.3-1~exp2", "criu-4.2.1-1", 1},
	}
	for _, tt := range tests {
		if got := compareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestFindNewestCached(t *testing.T) {
	dir := t.TempDir()
	for name, mode := range map[string]os.FileMode{
		"criu-4.2.1-1/criu":  0o755,
		"criu-4.10.0-1/criu": 0o755,
		"criu-9.0-1/criu":    0o644, // not executable: skipped
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "criu-11-1"), 0o755); err != nil { // no binary
		t.Fatal(err)
	}
	if got, want := Find(dir), filepath.Join(dir, "criu-4.10.0-1/criu"); got != want {
		t.Errorf("Find = %q, want %q", got, want)
	}
}

func TestFindFallsBackToPath(t *testing.T) {
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "criu"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	if got, want := Find(t.TempDir()), filepath.Join(bin, "criu"); got != want {
		t.Errorf("Find = %q, want %q", got, want)
	}
	t.Setenv("PATH", t.TempDir())
	if got := Find(t.TempDir()); got != "" {
		t.Errorf("Find without criu = %q, want \"\"", got)
	}
}
