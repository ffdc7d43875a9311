package criu

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// script writes an executable shell script standing for criu.
func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "criu")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name, bin, want string
	}{
		{"works", script(t, "exit 0\n"), ""},
		{"kernel too new", script(t, `[ "$1" = --version ] && { echo "Version: 3.17.1"; exit 0; }
echo "Error (criu/vdso.c:613): vdso: Failed to fill self vdso symtable" >&2
echo "Error (criu/kerndat.c:1615): kerndat_vdso_fill_symtable failed" >&2
exit 1
`), "vdso: Failed to fill self vdso symtable (Version: 3.17.1)"},
		{"missing", "/nonexistent/criu", "CRIU is not installed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Checker{Binary: tt.bin}
			err := c.Check(context.Background())
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, errdefs.ErrFailedPrecondition) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Check = %v, want a failed precondition saying %q", err, tt.want)
			}
			if again := c.Check(context.Background()); again != err {
				t.Errorf("a second Check ran criu again: %v", again)
			}
		})
	}
}
