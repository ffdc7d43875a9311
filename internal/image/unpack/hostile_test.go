package unpack

import (
	"archive/tar"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// TestApplyHostile feeds archives that try to write outside the layer
// directory. Each either fails with ErrInvalidArgument or writes where
// resolving the names inside the root leads (the confined paths). Beside
// the layer directory lie "sentinel", which must stay empty, and
// "outside/secret", which must stay as it is; nothing else may appear.
func TestApplyHostile(t *testing.T) {
	requireRoot(t)
	passwd := fileSum(t, "/etc/passwd")
	canary := "skiff-unpack-canary-" + strconv.Itoa(os.Getpid())
	t.Cleanup(func() {
		if _, err := os.Lstat("/etc/" + canary); err == nil {
			os.Remove("/etc/" + canary)
			t.Errorf("/etc/%s was written", canary)
		}
		if fileSum(t, "/etc/passwd") != passwd {
			t.Error("/etc/passwd changed")
		}
	})

	// base is the parent of the layer dir, sentinel and outside; ents get
	// it to aim at them by absolute path.
	tests := []struct {
		name     string
		ents     func(base string) []ent
		wantErr  bool
		confined []string // paths that must exist in the layer
	}{
		{name: "dotdot", ents: fixed(reg("../x", 0o644, "x")), wantErr: true},
		{name: "dotdot into sentinel", ents: fixed(reg("../sentinel/x", 0o644, "x")), wantErr: true},
		{name: "dotdot nested", ents: fixed(reg("a/../../x", 0o644, "x")), wantErr: true},
		{name: "dotdot after absolute", ents: fixed(reg("/../sentinel/x", 0o644, "x")), wantErr: true},
		{name: "dotdot staying inside", ents: fixed(reg("a/b/../../c", 0o644, "c")), confined: []string{"c"}},
		{name: "absolute", ents: fixed(reg("/abs", 0o644, "x")), confined: []string{"abs"}},
		{name: "absolute dir", ents: fixed(dir("/abs/d/", 0o755)), confined: []string{"abs/d"}},
		{
			name: "absolute symlink then write",
			ents: func(base string) []ent {
				return []ent{symlink("evil", filepath.Join(base, "sentinel")), reg("evil/x", 0o644, "x")}
			},
			confined: []string{"evil", "<base>/sentinel/x"},
		},
		{
			name: "relative symlink escaping then write",
			ents: func(base string) []ent {
				return []ent{symlink("evil", "../../../../../.."+filepath.Join(base, "sentinel")), reg("evil/x", 0o644, "x")}
			},
			confined: []string{"<base>/sentinel/x"},
		},
		{
			name:     "symlink to dotdot then write",
			ents:     fixed(symlink("up", ".."), reg("up/sentinel/x", 0o644, "x")),
			confined: []string{"sentinel/x"},
		},
		{
			name: "symlink chain escaping",
			ents: fixed(symlink("l1", "l2"), symlink("l2", "d/l3"), dir("d/", 0o755), symlink("d/l3", "../../.."),
				reg("l1/sentinel/x", 0o644, "x")),
			confined: []string{"sentinel/x"},
		},
		{
			name:     "symlink to /etc then write",
			ents:     func(string) []ent { return []ent{symlink("evil", "/etc"), reg("evil/"+canary, 0o644, "x")} },
			confined: []string{"etc/" + canary},
		},
		{
			name: "symlink to existing /etc then write",
			ents: func(string) []ent {
				return []ent{dir("etc/", 0o755), symlink("evil", "/etc"), reg("evil/"+canary, 0o644, "x")}
			},
			confined: []string{"etc/" + canary},
		},
		{
			name: "symlinked dir then mkdir below",
			ents: func(base string) []ent {
				return []ent{symlink("evil", filepath.Join(base, "sentinel")), dir("evil/d/", 0o755)}
			},
			confined: []string{"<base>/sentinel/d"},
		},
		{
			name: "symlink then replaced by a file",
			ents: func(base string) []ent {
				return []ent{symlink("evil", filepath.Join(base, "outside/secret")), reg("evil", 0o644, "x")}
			},
			confined: []string{"evil"},
		},
		{
			name: "symlink then replaced by a dir",
			ents: func(base string) []ent {
				return []ent{symlink("evil", filepath.Join(base, "sentinel")), dir("evil", 0o755), reg("evil/x", 0o644, "x")}
			},
			confined: []string{"evil/x"},
		},
		{
			name: "symlink then device through it",
			ents: func(base string) []ent {
				return []ent{symlink("evil", filepath.Join(base, "sentinel")), node("evil/null", tar.TypeChar, 0o666, 1, 3)}
			},
			confined: []string{"<base>/sentinel/null"},
		},
		{
			name: "whiteout through symlink",
			ents: func(base string) []ent {
				return []ent{symlink("evil", filepath.Join(base, "sentinel")), whiteoutEnt("evil/.wh.x")}
			},
			confined: []string{"<base>/sentinel/x"},
		},
		{
			name: "opaque through symlink",
			ents: func(base string) []ent {
				return []ent{symlink("evil", filepath.Join(base, "sentinel")), whiteoutEnt("evil/.wh..wh..opq")}
			},
			confined: []string{"<base>/sentinel"},
		},
		{name: "symlink loop", ents: fixed(symlink("a", "b"), symlink("b", "a"), reg("a/x", 0o644, "x")), wantErr: true},
		{name: "file as parent", ents: fixed(reg("f", 0o644, "f"), reg("f/x", 0o644, "x")), wantErr: true},
		{name: "hard link to /etc/passwd", ents: fixed(hardlink("h", "/etc/passwd")), wantErr: true},
		{name: "hard link dotdot", ents: fixed(hardlink("h", "../outside/secret")), wantErr: true},
		{
			name: "hard link via absolute symlinked dir",
			ents: func(base string) []ent {
				return []ent{symlink("d", filepath.Join(base, "outside")), hardlink("h", "d/secret")}
			},
			wantErr: true,
		},
		{
			name:    "hard link via relative symlinked dir",
			ents:    fixed(symlink("d", "../outside"), hardlink("h", "d/secret")),
			wantErr: true,
		},
		{
			name: "hard link to a symlink links the symlink",
			ents: func(base string) []ent {
				return []ent{symlink("s", filepath.Join(base, "outside/secret")), hardlink("h", "s")}
			},
			confined: []string{"h"},
		},
		{
			name: "hard link placed through symlink",
			ents: func(base string) []ent {
				return []ent{reg("f", 0o644, "f"), symlink("evil", filepath.Join(base, "sentinel")), hardlink("evil/h", "f")}
			},
			confined: []string{"<base>/sentinel/h"},
		},
		{name: "device named with dotdot", ents: fixed(node("../sentinel/null", tar.TypeChar, 0o666, 1, 3)), wantErr: true},
		{name: "device nested dotdot", ents: fixed(node("dev/../../sentinel/sda", tar.TypeBlock, 0o660, 8, 0)), wantErr: true},
		{name: "fifo named with dotdot", ents: fixed(node("../sentinel/p", tar.TypeFifo, 0o600, 0, 0)), wantErr: true},
		{name: "whiteout dotdot", ents: fixed(whiteoutEnt("../sentinel/.wh.x")), wantErr: true},
		{name: "whiteout of dotdot", ents: fixed(whiteoutEnt("a/.wh..."), whiteoutEnt(".wh..")), wantErr: true},
		{name: "whiteout as directory", ents: fixed(reg(".wh.d/x", 0o644, "x")), wantErr: true},
		{name: "symlink named dotdot", ents: fixed(symlink("../sentinel/l", "/")), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			sentinel := filepath.Join(base, "sentinel")
			secret := filepath.Join(base, "outside/secret")
			for _, d := range []string{sentinel, filepath.Dir(secret)} {
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(secret, []byte("secret"), 0o600); err != nil {
				t.Fatal(err)
			}

			root, _, err := applyEnts(t, base, tc.ents(base)...)
			if err != nil {
				t.Log(err)
			}
			switch {
			case tc.wantErr && !errors.Is(err, errdefs.ErrInvalidArgument):
				t.Errorf("err = %v, want ErrInvalidArgument", err)
			case !tc.wantErr && err != nil:
				t.Errorf("err = %v, want a confined write", err)
			}
			for _, p := range tc.confined {
				if rest, ok := strings.CutPrefix(p, "<base>"); ok {
					p = base + rest
				}
				p = filepath.Join(root, p)
				if _, err := os.Lstat(p); err != nil {
					t.Errorf("confined write: %v", err)
				}
			}

			if names := listAll(t, sentinel); len(names) > 0 {
				t.Errorf("sentinel has %v", names)
			}
			if _, ok := getxattr(t, sentinel, opaqueXattr); ok {
				t.Error("sentinel was marked opaque")
			}
			if b, err := os.ReadFile(secret); err != nil || string(b) != "secret" {
				t.Errorf("secret = %q, %v", b, err)
			}
			if st := lstat(t, secret); st.Nlink != 1 {
				t.Errorf("secret has %d links", st.Nlink)
			}
			entries, err := os.ReadDir(base)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if !slices.Equal(names, []string{"layer", "outside", "sentinel"}) {
				t.Errorf("beside the layer: %v", names)
			}
		})
	}
}

// fixed returns ents for cases that do not need the base path.
func fixed(ents ...ent) func(string) []ent { return func(string) []ent { return ents } }

func fileSum(t testing.TB, p string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// TestRootResolvesInRoot checks that confinement does not rest on the name
// checks: root.open keeps "..", absolute names and escaping symlinks inside
// the root by itself.
func TestRootResolvesInRoot(t *testing.T) {
	requireRoot(t)
	base := t.TempDir()
	layer := filepath.Join(base, "layer")
	if err := os.Mkdir(layer, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../..", filepath.Join(layer, "up")); err != nil {
		t.Fatal(err)
	}
	if _, err := openRoot(layer); err == nil {
		t.Fatal("openRoot accepted a non-empty dir")
	}
	if err := os.Remove(filepath.Join(layer, "up")); err != nil {
		t.Fatal(err)
	}
	rt, err := openRoot(layer)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.close()
	if err := unix.Symlinkat("../../..", rt.fd, "up"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
	}{
		{name: "dotdot", path: "../.."},
		{name: "symlink", path: "up"},
		{name: "symlink dotdot", path: "up/../.."},
		{name: "absolute", path: "/"},
	}
	var rootSt unix.Stat_t
	if err := unix.Fstat(rt.fd, &rootSt); err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fd, err := rt.open(tc.path, unix.O_PATH|unix.O_DIRECTORY)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fd)
			var st unix.Stat_t
			if err := unix.Fstat(fd, &st); err != nil {
				t.Fatal(err)
			}
			if st.Ino != rootSt.Ino || st.Dev != rootSt.Dev {
				t.Errorf("%q resolved outside the root", tc.path)
			}
		})
	}
}
