package hostpath

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWithin(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"logs/pod/c", "outside", "real"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"logs/pod/up":     "../../outside",   // relative, out
		"logs/pod/abs":    root + "/outside", // absolute, out
		"logs/pod/inside": "c",               // stays in
		"logs/pod/f.log":  "/etc/passwd",     // a file, out
		"logs/pod/d.log":  "../../outside/x", // dangling, out
		"logs/pod/loop":   "loop",            // a loop
		"linked":          "logs",            // the directory itself through a link
	}
	for l, target := range links {
		if err := os.Symlink(target, filepath.Join(root, l)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		path string
		dir  string
		want bool
	}{
		{"logs/pod/c/0.log", "logs", true},
		{"logs/pod/new/dir/0.log", "logs", true}, // not made yet
		{"logs", "logs", true},
		{"logs/pod/inside/0.log", "logs", true},
		{"logs/pod/up/0.log", "logs", false},
		{"logs/pod/abs/x/0.log", "logs", false},
		{"logs/pod/f.log", "logs", false},
		{"logs/pod/d.log", "logs", false},
		{"logs/pod/loop/0.log", "logs", true}, // the kernel refuses it when opened
		{"logs/../outside/0.log", "logs", false},
		{"linked/pod/c/0.log", "logs", true},
		{"logs/pod/c/0.log", "linked", true},
	}
	for _, tt := range tests {
		if got := Within(filepath.Join(root, tt.path), filepath.Join(root, tt.dir)); got != tt.want {
			t.Errorf("Within(%s, %s) = %v, want %v", tt.path, tt.dir, got, tt.want)
		}
	}
}
