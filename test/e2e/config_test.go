//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBadConfigStopsStartup(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string // in stderr
	}{
		{"unknown key", map[string]string{"skiff.toml": "roots = \"/x\"\n"}, []string{"skiff.toml", `unknown key "roots"`}},
		{"bad value", map[string]string{"skiff.toml": "log_format = \"yaml\"\n"}, []string{"skiff.toml", `key "log_format"`, `"yaml"`}},
		{"bad drop-in", map[string]string{"skiff.toml": "", "skiff.d/10-x.toml": "cgroup_manager = \"upstart\"\n"}, []string{"10-x.toml", `key "cgroup_manager"`}},
		{"not TOML", map[string]string{"skiff.toml": "this is not toml\n"}, []string{"skiff.toml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				p := filepath.Join(dir, name)
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			code, _, stderr := runSkiffd(t, daemonArgs(dir)...)
			if code == 0 {
				t.Fatalf("skiffd started with a bad config")
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not mention %q", stderr, w)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "run", "skiff.sock")); err == nil {
				t.Errorf("a socket was created despite the bad config")
			}
		})
	}
}

func TestMissingExplicitConfig(t *testing.T) {
	code, _, stderr := runSkiffd(t, "--config", "/nonexistent/skiff.toml")
	if code == 0 || !strings.Contains(stderr, "/nonexistent/skiff.toml") {
		t.Errorf("exit %d, stderr %q; want an error naming the file", code, stderr)
	}
}

func TestConfigCommandPrintsEffectiveConfig(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "skiff.d"), 0o755)
	os.WriteFile(filepath.Join(dir, "skiff.toml"), []byte("log_level = \"warn\"\n[registry]\ninsecure = [\"reg.local:5000\"]\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "skiff.d", "90-mirror.toml"), []byte("[registry.mirrors]\n\"docker.io\" = [\"http://127.0.0.1:5000\"]\n"), 0o644)
	code, stdout, stderr := runSkiffd(t, "config", "--config", filepath.Join(dir, "skiff.toml"), "--root", "/srv/skiff")
	if code != 0 {
		t.Fatalf("skiffd config: exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		`root = "/srv/skiff"`,
		`log_level = "warn"`,
		`insecure = ["reg.local:5000"]`,
		`"docker.io" = ["http://127.0.0.1:5000"]`,
		`cgroup_manager = "`,
		`shim_path = "/`,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("skiffd config output lacks %q:\n%s", want, stdout)
		}
	}
}
