package unpack

import (
	"archive/tar"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestApplyOverlay unpacks three layers, stacks them with a real overlayfs
// mount, and checks the merged view a container would see.
func TestApplyOverlay(t *testing.T) {
	requireRoot(t)
	tmp := t.TempDir()
	layers := [][]ent{
		{ // base
			dir("etc/", 0o755),
			reg("etc/passwd", 0o644, "root:x:0:0\n"),
			reg("etc/shadow", 0o640, "root:*:\n").owned(0, 42),
			dir("bin/", 0o755),
			reg("bin/busybox", 0o755, "#!busybox").xattr("security.capability", capNetBindService).xattr("user.skiff", "yes"),
			symlink("bin/sh", "/bin/busybox"),
			hardlink("bin/ls", "bin/busybox"),
			reg("usr/bin/su", 0o4755, "su"),
			dir("olddir/", 0o755),
			reg("olddir/a", 0o644, "a"),
			reg("olddir/b", 0o644, "b"),
			dir("keep/", 0o755),
			reg("keep/x", 0o644, "x"),
			dir("home/u/", 0o700).owned(1000, 1000),
			reg("home/u/f", 0o600, "mine").owned(1000, 1000),
			node("dev/null", tar.TypeChar, 0o666, 1, 3),
		},
		{ // deletes, opaque dir, hard links
			whiteoutEnt("etc/.wh.shadow"),
			dir("olddir/", 0o755),
			whiteoutEnt("olddir/.wh..wh..opq"),
			reg("olddir/c", 0o644, "c"),
			dir("hl/", 0o755),
			reg("hl/orig", 0o644, "shared"),
			hardlink("hl/link", "hl/orig"),
			whiteoutEnt("bin/.wh.ls"),
			node("run/fifo", tar.TypeFifo, 0o600, 0, 0),
		},
		{ // top
			whiteoutEnt(".wh.keep"),
			reg("etc/passwd", 0o644, "root:x:0:0:new\n"),
			reg("olddir/d", 0o644, "d"),
		},
	}
	var lower []string
	for i, ents := range layers {
		d, _, err := applyEnts(t, mkdirs(t, tmp, "l"+string(rune('1'+i)))[0], ents...)
		if err != nil {
			t.Fatalf("layer %d: %v", i+1, err)
		}
		lower = append([]string{d}, lower...) // topmost first
	}
	dirs := mkdirs(t, tmp, "upper", "work", "merged")
	merged := dirs[2]
	opts := "lowerdir=" + strings.Join(lower, ":") + ",upperdir=" + dirs[0] + ",workdir=" + dirs[1]
	if err := unix.Mount("overlay", merged, "overlay", 0, opts); err != nil {
		t.Fatalf("mount overlay %s: %v", opts, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(merged, 0); err != nil {
			t.Errorf("unmount: %v", err)
			unix.Unmount(merged, unix.MNT_DETACH)
		}
	})

	tests := []struct {
		name  string
		check func(t *testing.T)
	}{
		{name: "whited out file absent", check: absent(merged, "etc/shadow")},
		{name: "whited out dir absent", check: absent(merged, "keep")},
		{name: "whited out hard link absent", check: absent(merged, "bin/ls")},
		{name: "upper file wins", check: func(t *testing.T) {
			checkFile(t, merged, fileWant{path: "etc/passwd", typ: unix.S_IFREG, perm: 0o644, body: "root:x:0:0:new\n"})
		}},
		{name: "opaque dir shows only upper content", check: func(t *testing.T) {
			if got := listAll(t, filepath.Join(merged, "olddir")); !slices.Equal(got, []string{"c", "d"}) {
				t.Errorf("olddir has %v, want [c d]", got)
			}
		}},
		{name: "hard links share an inode", check: func(t *testing.T) {
			a, b := lstat(t, filepath.Join(merged, "hl/orig")), lstat(t, filepath.Join(merged, "hl/link"))
			if a.Ino != b.Ino || a.Nlink != 2 {
				t.Errorf("inodes %d, %d (nlink %d), want one inode with 2 links", a.Ino, b.Ino, a.Nlink)
			}
		}},
		{name: "symlink intact", check: func(t *testing.T) {
			checkFile(t, merged, fileWant{path: "bin/sh", typ: unix.S_IFLNK, body: "/bin/busybox"})
		}},
		{name: "xattrs", check: func(t *testing.T) {
			checkFile(t, merged, fileWant{path: "bin/busybox", typ: unix.S_IFREG, perm: 0o755, body: "#!busybox",
				xattrs: map[string]string{"security.capability": capNetBindService, "user.skiff": "yes"}})
		}},
		{name: "setuid", check: func(t *testing.T) {
			checkFile(t, merged, fileWant{path: "usr/bin/su", typ: unix.S_IFREG, perm: 0o4755, body: "su"})
		}},
		{name: "owners", check: func(t *testing.T) {
			checkFile(t, merged, fileWant{path: "home/u", typ: unix.S_IFDIR, perm: 0o700, uid: 1000, gid: 1000})
			checkFile(t, merged, fileWant{path: "home/u/f", typ: unix.S_IFREG, perm: 0o600, uid: 1000, gid: 1000, body: "mine"})
		}},
		{name: "devices", check: func(t *testing.T) {
			checkFile(t, merged, fileWant{path: "dev/null", typ: unix.S_IFCHR, perm: 0o666, rdev: unix.Mkdev(1, 3)})
			checkFile(t, merged, fileWant{path: "run/fifo", typ: unix.S_IFIFO, perm: 0o600})
		}},
		{name: "no whiteout names", check: func(t *testing.T) {
			for _, n := range listAll(t, merged) {
				if strings.Contains(n, whiteoutPrefix) {
					t.Errorf("%s visible", n)
				}
			}
		}},
		{name: "writable on top", check: func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(merged, "olddir/e"), []byte("e"), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(dirs[0], "olddir/e")); err != nil {
				t.Errorf("write did not reach the upper dir: %v", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.check)
	}
}

func absent(root, p string) func(*testing.T) {
	return func(t *testing.T) {
		if _, err := os.Lstat(filepath.Join(root, p)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: %v, want it absent", p, err)
		}
	}
}

func mkdirs(t *testing.T, parent string, names ...string) []string {
	t.Helper()
	var out []string
	for _, n := range names {
		d := filepath.Join(parent, n)
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}
