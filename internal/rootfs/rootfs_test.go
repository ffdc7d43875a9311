package rootfs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// requireRoot skips tests that need real root on the real kernel.
func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

// file is one entry of a test layer: a regular file, a directory (name
// ends in "/"), an overlay whiteout or an opaque directory.
type file struct {
	name    string
	content string
	kind    int
}

const (
	regular = iota
	whiteout
	opaque // a directory with trusted.overlay.opaque=y
)

func writeLayer(t *testing.T, dir string, files ...file) string {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case f.kind == whiteout:
			err = unix.Mknod(p, unix.S_IFCHR, 0)
		case f.kind == opaque:
			if err = os.MkdirAll(p, 0o755); err == nil {
				err = unix.Setxattr(p, "trusted.overlay.opaque", []byte("y"), 0)
			}
		case strings.HasSuffix(f.name, "/"):
			err = os.MkdirAll(p, 0o755)
		default:
			err = os.WriteFile(p, []byte(f.content), 0o644)
		}
		if err != nil {
			t.Fatalf("layer %s: %s: %v", dir, f.name, err)
		}
	}
	return dir
}

// threeLayers builds a base, a middle layer that deletes and hides, and a
// top layer that overrides; it returns them topmost first.
func threeLayers(t *testing.T) []string {
	t.Helper()
	tmp := t.TempDir()
	base := writeLayer(t, filepath.Join(tmp, "base"),
		file{name: "etc/passwd", content: "base"},
		file{name: "bin/sh", content: "sh"},
		file{name: "gone", content: "x"},
		file{name: "opq/a", content: "a"},
		file{name: "opq/b", content: "b"},
	)
	mid := writeLayer(t, filepath.Join(tmp, "mid"),
		file{name: "gone", kind: whiteout},
		file{name: "opq", kind: opaque},
		file{name: "opq/c", content: "c"},
		file{name: "etc/mid", content: "mid"},
	)
	top := writeLayer(t, filepath.Join(tmp, "top"),
		file{name: "etc/passwd", content: "top"},
	)
	return []string{top, mid, base}
}

// mountT mounts and registers the unmount, so that a failing test leaves
// no mount behind.
func mountT(t *testing.T, lower []string, dir string, how api) (string, error) {
	t.Helper()
	t.Cleanup(func() {
		if err := Unmount(dir); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return mount(context.Background(), lower, dir, how)
}

func mountsUnder(t *testing.T, dir string) []string {
	t.Helper()
	ms, err := mountinfo.GetMounts(mountinfo.PrefixFilter(dir))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.Mountpoint+" "+m.VFSOptions)
	}
	return out
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestMergedView(t *testing.T) {
	requireRoot(t)
	for _, tc := range []struct {
		name string
		how  api
	}{{"new API", apiAuto}, {"mount(2)", apiLegacy}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "ctr")
			target, err := mountT(t, threeLayers(t), dir, tc.how)
			if err != nil {
				t.Fatalf("Mount: %v", err)
			}
			if target != filepath.Join(dir, RootfsDir) {
				t.Errorf("target = %s", target)
			}
			if m, err := IsMounted(target); err != nil || !m {
				t.Fatalf("IsMounted = %v, %v", m, err)
			}
			if got := readString(t, filepath.Join(target, "etc/passwd")); got != "top" {
				t.Errorf("etc/passwd = %q, want the top layer's", got)
			}
			if got := names(t, target); !slices.Equal(got, []string{"bin", "etc", "opq"}) {
				t.Errorf("/ = %v, want the whiteout to hide gone", got)
			}
			if got := names(t, filepath.Join(target, "opq")); !slices.Equal(got, []string{"c"}) {
				t.Errorf("/opq = %v, want only c (opaque)", got)
			}
			if got := names(t, filepath.Join(target, "etc")); !slices.Equal(got, []string{"mid", "passwd"}) {
				t.Errorf("/etc = %v", got)
			}
			// Overlayfs shows only options that differ from the module's
			// defaults, so "off" may not appear; "on" must not.
			opts := mountsUnder(t, target)
			if len(opts) != 1 || strings.Contains(opts[0], "index=on") || strings.Contains(opts[0], "metacopy=on") {
				t.Errorf("mount options = %v, want one mount with index and metacopy off", opts)
			}
		})
	}
}

func TestWritesLandInUpper(t *testing.T) {
	requireRoot(t)
	dir := filepath.Join(t.TempDir(), "ctr")
	lower := threeLayers(t)
	target, err := mountT(t, lower, dir, apiAuto)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(target, "new"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(target, "etc/passwd"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(target, "bin/sh")); err != nil {
		t.Fatal(err)
	}
	upper := filepath.Join(dir, UpperDir)
	if got := readString(t, filepath.Join(upper, "new")); got != "hello" {
		t.Errorf("upper/new = %q", got)
	}
	if got := readString(t, filepath.Join(upper, "etc/passwd")); got != "changed" {
		t.Errorf("upper/etc/passwd = %q", got)
	}
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(upper, "bin/sh"), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
		t.Errorf("upper/bin/sh is not a whiteout: %v %+v", err, st)
	}
	for _, l := range lower {
		if _, err := os.Stat(filepath.Join(l, "new")); err == nil {
			t.Errorf("a write reached layer %s", l)
		}
	}
	if got := readString(t, filepath.Join(lower[0], "etc/passwd")); got != "top" {
		t.Errorf("the top layer changed: %q", got)
	}
	bytes, inodes, err := Usage(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	// upper/, new, etc/, etc/passwd, bin/, bin/sh
	if inodes != 6 || bytes < 2*512 {
		t.Errorf("Usage = %d bytes, %d inodes; want 6 inodes and at least two blocks", bytes, inodes)
	}
}

func TestUsage(t *testing.T) {
	dir := t.TempDir()
	upper := filepath.Join(dir, UpperDir)
	if err := os.MkdirAll(filepath.Join(upper, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 1<<20)
	big[0] = 1
	if err := os.WriteFile(filepath.Join(upper, "d/big"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(upper, "d/big"), filepath.Join(upper, "link")); err != nil {
		t.Fatal(err)
	}
	bytes, inodes, err := Usage(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if inodes != 3 { // upper/, d/, big (the link counts once)
		t.Errorf("inodes = %d, want 3", inodes)
	}
	if bytes < 1<<20 || bytes > 1<<20+64<<10 {
		t.Errorf("bytes = %d, want about 1 MiB", bytes)
	}
	if _, _, err := Usage(context.Background(), filepath.Join(dir, "none")); !errdefs.IsNotFound(err) {
		t.Errorf("Usage(no upper) = %v, want not found", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Usage(ctx, dir); !errors.Is(err, errdefs.ErrCanceled) {
		t.Errorf("Usage(cancelled) = %v", err)
	}
}

func TestUnmount(t *testing.T) {
	requireRoot(t)
	tests := []struct {
		name  string
		mount bool
		crash func(t *testing.T, dir string) // what happened before Unmount
	}{
		{name: "mounted", mount: true},
		{name: "never created"},
		{name: "half created", crash: func(t *testing.T, dir string) {
			if err := os.MkdirAll(filepath.Join(dir, UpperDir, "x"), 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "mounted, work removed", mount: true, crash: func(t *testing.T, dir string) {
			if err := os.RemoveAll(filepath.Join(dir, WorkDir)); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "mounted, upper partly removed", mount: true, crash: func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, RootfsDir, "w"), []byte("w"), 0o644)
			if err := os.RemoveAll(filepath.Join(dir, UpperDir, "w")); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "mounted twice", mount: true, crash: func(t *testing.T, dir string) {
			r := filepath.Join(dir, RootfsDir)
			if err := unix.Mount(r, r, "", unix.MS_BIND, ""); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "busy", mount: true, crash: func(t *testing.T, dir string) {
			f, err := os.Open(filepath.Join(dir, RootfsDir, "etc/passwd"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			// The cwd of a process inside, as a shell left behind would.
			if err := unix.Unmount(filepath.Join(dir, RootfsDir), 0); !errors.Is(err, unix.EBUSY) {
				t.Fatalf("plain unmount = %v, want EBUSY", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			dir := filepath.Join(tmp, "ctr")
			if tc.mount {
				if _, err := mountT(t, threeLayers(t), dir, apiAuto); err != nil {
					t.Fatal(err)
				}
			} else {
				t.Cleanup(func() { Unmount(dir) })
			}
			if tc.crash != nil {
				tc.crash(t, dir)
			}
			for i := range 2 {
				if err := Unmount(dir); err != nil {
					t.Fatalf("Unmount #%d: %v", i+1, err)
				}
			}
			if m := mountsUnder(t, tmp); len(m) != 0 {
				t.Errorf("mounts left: %v", m)
			}
			if _, err := os.Lstat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s still there: %v", dir, err)
			}
		})
	}
}

func TestUnmountKeepsForeignFiles(t *testing.T) {
	requireRoot(t)
	dir := filepath.Join(t.TempDir(), "ctr")
	if _, err := mountT(t, threeLayers(t), dir, apiAuto); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "config.json")
	if err := os.WriteFile(other, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Unmount(dir); err != nil {
		t.Fatal(err)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"config.json"}) {
		t.Errorf("left in dir: %v, want only config.json", got)
	}
}

// manyLayers builds n layers at <tmp>/layers/<64 hex>, each with its own
// file and a shared one whose content names the layer; topmost first.
func manyLayers(t *testing.T, n int) []string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "layers")
	lower := make([]string, n)
	for i := range lower {
		sum := sha256.Sum256([]byte(strconv.Itoa(i)))
		lower[i] = writeLayer(t, filepath.Join(root, hex.EncodeToString(sum[:])),
			file{name: fmt.Sprintf("l/%03d", i), content: "x"},
			file{name: "shared", content: strconv.Itoa(i)},
		)
	}
	return lower
}

func TestManyLayers(t *testing.T) {
	requireRoot(t)
	lower := manyLayers(t, 200)
	if n := len(strings.Join(lower, ":")); n < 4096 {
		t.Fatalf("layer paths are %d bytes; the test wants them over a page", n)
	}
	dir := filepath.Join(t.TempDir(), "ctr")
	target, err := mountT(t, lower, dir, apiAuto)
	if err != nil {
		t.Fatalf("Mount: %v", err)
	}
	if got := len(names(t, filepath.Join(target, "l"))); got != 200 {
		t.Errorf("merged l/ has %d files, want 200", got)
	}
	if got := readString(t, filepath.Join(target, "shared")); got != "0" {
		t.Errorf("shared = %q, want the topmost layer's (0)", got)
	}

	t.Run("mount(2) overflows", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "ctr")
		_, err := mountT(t, lower, dir, apiLegacy)
		if !errors.Is(err, errdefs.ErrFailedPrecondition) || !strings.Contains(err.Error(), "limit") {
			t.Fatalf("legacy Mount = %v, want a failed precondition about the limit", err)
		}
		if _, err := os.Lstat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a failed Mount left %s: %v", dir, err)
		}
	})
}

func TestLongAndOddPaths(t *testing.T) {
	requireRoot(t)
	tmp := t.TempDir()
	long := filepath.Join(tmp, strings.Repeat("a", 200), strings.Repeat("b", 200))
	odd := filepath.Join(tmp, "with,comma:colon")
	lower := []string{
		writeLayer(t, long, file{name: "long", content: "1"}),
		writeLayer(t, odd, file{name: "odd", content: "2"}),
	}
	dir := filepath.Join(t.TempDir(), "ctr")
	target, err := mountT(t, lower, dir, apiAuto)
	if err != nil {
		t.Fatalf("Mount: %v", err)
	}
	if got := names(t, target); !slices.Equal(got, []string{"long", "odd"}) {
		t.Errorf("merged = %v", got)
	}
	_, err = mountT(t, lower, filepath.Join(t.TempDir(), "ctr"), apiLegacy)
	if !errdefs.IsInvalidArgument(err) {
		t.Errorf("legacy Mount with ',' = %v, want invalid argument", err)
	}
}

func TestMountErrors(t *testing.T) {
	requireRoot(t)
	layer := writeLayer(t, t.TempDir(), file{name: "f", content: "x"})
	notDir := filepath.Join(layer, "f")
	tests := []struct {
		name  string
		lower []string
		want  error
	}{
		{"no layers", nil, errdefs.ErrInvalidArgument},
		{"too many layers", make([]string, 501), errdefs.ErrInvalidArgument},
		{"relative", []string{"layer"}, errdefs.ErrInvalidArgument},
		{"missing", []string{filepath.Join(layer, "none")}, errdefs.ErrNotFound},
		{"not a directory", []string{notDir}, errdefs.ErrInvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "ctr")
			_, err := mountT(t, tc.lower, dir, apiAuto)
			if !errors.Is(err, tc.want) {
				t.Errorf("Mount = %v, want %v", err, tc.want)
			}
			if _, err := os.Lstat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a failed Mount left %s", dir)
			}
		})
	}
	t.Run("already mounted", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "ctr")
		if _, err := mountT(t, []string{layer}, dir, apiAuto); err != nil {
			t.Fatal(err)
		}
		if _, err := Mount(context.Background(), []string{layer}, dir); !errdefs.IsAlreadyExists(err) {
			t.Errorf("second Mount = %v, want already exists", err)
		}
		if m := mountsUnder(t, dir); len(m) != 1 {
			t.Errorf("mounts = %v, want one", m)
		}
	})
}

func TestRemountKeepsUpper(t *testing.T) {
	requireRoot(t)
	lower := threeLayers(t)
	dir := filepath.Join(t.TempDir(), "ctr")
	target, err := mountT(t, lower, dir, apiAuto)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(target, "kept"), []byte("k"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A reboot: the mount goes, the directories stay.
	if err := unix.Unmount(target, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := Mount(context.Background(), lower, dir); err != nil {
		t.Fatalf("remount: %v", err)
	}
	if got := readString(t, filepath.Join(target, "kept")); got != "k" {
		t.Errorf("kept = %q after remount", got)
	}
}

// TestNewAPIProbe checks that the probe finds "lowerdir+" on kernels that
// have it, so that the fallback is not taken by mistake.
func TestNewAPIProbe(t *testing.T) {
	requireRoot(t)
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	var major, minor int
	fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &major, &minor)
	want := major > 6 || major == 6 && minor >= 8
	if got := newAPI(); got != want {
		t.Errorf("newAPI() = %v on Linux %d.%d, want %v", got, major, minor, want)
	}
}
