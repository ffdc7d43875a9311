package health

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestRuntime(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "shim")
	plain := filepath.Join(dir, "plain")
	for name, mode := range map[string]os.FileMode{exe: 0o755, plain: 0o644} {
		if err := os.WriteFile(name, nil, mode); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name       string
		shim       string
		dirs       []string
		wantReason string
	}{
		{"ready", exe, []string{dir}, ""},
		{"shim missing", filepath.Join(dir, "absent"), []string{dir}, "ShimNotExecutable"},
		{"state dir missing", exe, []string{filepath.Join(dir, "absent")}, "StateDirMissing"},
		{"state dir is a file", exe, []string{plain}, "StateDirMissing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Runtime(tt.shim, tt.dirs...)(context.Background())
			switch {
			case tt.wantReason == "" && p != nil:
				t.Errorf("got %+v, want ready", p)
			case tt.wantReason != "" && (p == nil || p.Reason != tt.wantReason):
				t.Errorf("got %+v, want reason %s", p, tt.wantReason)
			}
		})
	}
}
