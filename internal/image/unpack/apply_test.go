package unpack

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// capNetBindService is a VFS_CAP_REVISION_2 security.capability value:
// effective, permitted CAP_NET_BIND_SERVICE.
var capNetBindService = string([]byte{
	0x01, 0x00, 0x00, 0x02, // magic_etc: revision 2 | effective
	0x00, 0x04, 0x00, 0x00, 0, 0, 0, 0, // permitted, inheritable (low)
	0, 0, 0, 0, 0, 0, 0, 0, // permitted, inheritable (high)
})

// fileWant describes what one path of an unpacked layer must be.
type fileWant struct {
	path   string
	typ    uint32
	perm   uint32
	uid    uint32
	gid    uint32
	body   string // file contents or symlink target
	rdev   uint64
	mtime  time.Time // checked when set
	xattrs map[string]string
}

func checkFile(t *testing.T, root string, w fileWant) {
	t.Helper()
	p := filepath.Join(root, w.path)
	st := lstat(t, p)
	if got := st.Mode & unix.S_IFMT; got != w.typ {
		t.Fatalf("type = %o, want %o", got, w.typ)
	}
	if w.typ != unix.S_IFLNK {
		if got := st.Mode & 0o7777; got != w.perm {
			t.Errorf("mode = %04o, want %04o", got, w.perm)
		}
	}
	if st.Uid != w.uid || st.Gid != w.gid {
		t.Errorf("owner = %d:%d, want %d:%d", st.Uid, st.Gid, w.uid, w.gid)
	}
	switch w.typ {
	case unix.S_IFREG:
		b, err := os.ReadFile(p)
		if err != nil || string(b) != w.body {
			t.Errorf("contents = %q, %v; want %q", b, err, w.body)
		}
	case unix.S_IFLNK:
		if got, err := os.Readlink(p); err != nil || got != w.body {
			t.Errorf("symlink = %q, %v; want %q", got, err, w.body)
		}
	case unix.S_IFCHR, unix.S_IFBLK:
		if st.Rdev != w.rdev {
			t.Errorf("rdev = %#x, want %#x", st.Rdev, w.rdev)
		}
	}
	if !w.mtime.IsZero() {
		if got := time.Unix(st.Mtim.Unix()); !got.Equal(w.mtime) {
			t.Errorf("mtime = %v, want %v", got, w.mtime)
		}
	}
	for name, want := range w.xattrs {
		if got, ok := getxattr(t, p, name); !ok || got != want {
			t.Errorf("xattr %s = %q (set %v), want %q", name, got, ok, want)
		}
	}
}

func TestApplyEntryTypes(t *testing.T) {
	requireRoot(t)
	fileTime := time.Date(2021, 5, 6, 7, 8, 9, 123456789, time.UTC)
	dirTime := time.Date(2020, 1, 1, 0, 0, 0, 500, time.UTC)
	root, u, err := applyEnts(t, t.TempDir(),
		dir("./", 0o755),
		dir("etc/", 0o755),
		reg("etc/hosts", 0o644, "127.0.0.1 localhost\n"),
		reg("usr/bin/su", 0o4755, "su"), // parents omitted from the layer
		reg("usr/bin/wall", 0o2755, "wall").owned(0, 5),
		dir("tmp/", 0o1777),
		dir("home/u/", 0o700).owned(1000, 1000).at(dirTime, dirTime),
		reg("home/u/notes", 0o640, "hello").owned(1000, 1001).at(fileTime, fileTime.Add(time.Hour)),
		reg("bin/busybox", 0o755, "#!busybox").
			xattr("security.capability", capNetBindService).
			xattr("user.skiff", "yes").
			xattr("trusted.skiff", "t"),
		symlink("bin/sh", "/bin/busybox").owned(1, 2),
		hardlink("bin/ls", "bin/busybox"),
		hardlink("bin/ls2", "/bin/busybox"), // absolute link names are relative to the root
		node("dev/null", tar.TypeChar, 0o666, 1, 3),
		node("dev/sda", tar.TypeBlock, 0o660, 8, 0).owned(0, 6),
		node("run/fifo", tar.TypeFifo, 0o600, 0, 0),
		dir("x/", 0o755).xattr("user.dir", "d"),
		symlink("x/dangling", "../nowhere").xattr("trusted.link", "l"),
		reg("x/unsupported", 0o644, "").xattr("system.nosuchxattr", "v"),
		reg("x/overlay", 0o644, "").xattr("trusted.overlay.opaque", "y").xattr("trusted.overlay.redirect", "/etc"),
	)
	if err != nil {
		t.Fatal(err)
	}
	// Before anything reads the file and moves its atime.
	st := lstat(t, filepath.Join(root, "home/u/notes"))
	if got := time.Unix(st.Atim.Unix()); !got.Equal(fileTime.Add(time.Hour)) {
		t.Errorf("atime = %v, want %v", got, fileTime.Add(time.Hour))
	}
	tests := []fileWant{
		{path: "etc/hosts", typ: unix.S_IFREG, perm: 0o644, body: "127.0.0.1 localhost\n", mtime: epoch},
		{path: "usr", typ: unix.S_IFDIR, perm: 0o755},
		{path: "usr/bin/su", typ: unix.S_IFREG, perm: 0o4755, body: "su"},
		{path: "usr/bin/wall", typ: unix.S_IFREG, perm: 0o2755, gid: 5, body: "wall"},
		{path: "tmp", typ: unix.S_IFDIR, perm: 0o1777},
		{path: "home/u", typ: unix.S_IFDIR, perm: 0o700, uid: 1000, gid: 1000, mtime: dirTime},
		{path: "home/u/notes", typ: unix.S_IFREG, perm: 0o640, uid: 1000, gid: 1001, body: "hello", mtime: fileTime},
		{path: "bin/busybox", typ: unix.S_IFREG, perm: 0o755, body: "#!busybox", xattrs: map[string]string{
			"security.capability": capNetBindService, "user.skiff": "yes", "trusted.skiff": "t"}},
		{path: "bin/sh", typ: unix.S_IFLNK, uid: 1, gid: 2, body: "/bin/busybox", mtime: epoch},
		{path: "dev/null", typ: unix.S_IFCHR, perm: 0o666, rdev: unix.Mkdev(1, 3)},
		{path: "dev/sda", typ: unix.S_IFBLK, perm: 0o660, gid: 6, rdev: unix.Mkdev(8, 0)},
		{path: "run/fifo", typ: unix.S_IFIFO, perm: 0o600},
		{path: "x", typ: unix.S_IFDIR, perm: 0o755, mtime: epoch, xattrs: map[string]string{"user.dir": "d"}},
		{path: "x/dangling", typ: unix.S_IFLNK, body: "../nowhere", xattrs: map[string]string{"trusted.link": "l"}},
		{path: "x/unsupported", typ: unix.S_IFREG, perm: 0o644},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) { checkFile(t, root, tc) })
	}

	t.Run("root", func(t *testing.T) {
		checkFile(t, root, fileWant{path: ".", typ: unix.S_IFDIR, perm: 0o755, mtime: epoch})
	})
	t.Run("hardlinks", func(t *testing.T) {
		bb := lstat(t, filepath.Join(root, "bin/busybox"))
		for _, l := range []string{"bin/ls", "bin/ls2"} {
			if st := lstat(t, filepath.Join(root, l)); st.Ino != bb.Ino {
				t.Errorf("%s inode %d, want busybox's %d", l, st.Ino, bb.Ino)
			}
		}
		if bb.Nlink != 3 {
			t.Errorf("nlink = %d, want 3", bb.Nlink)
		}
	})
	t.Run("overlay xattrs dropped", func(t *testing.T) {
		for _, x := range []string{"trusted.overlay.opaque", "trusted.overlay.redirect"} {
			if v, ok := getxattr(t, filepath.Join(root, "x/overlay"), x); ok {
				t.Errorf("%s = %q, want it dropped", x, v)
			}
		}
	})
	t.Run("usage", func(t *testing.T) {
		if want := diskUsage(t, root); u != want {
			t.Errorf("usage = %+v, disk has %+v", u, want)
		}
	})
}

func TestApplyWhiteouts(t *testing.T) {
	requireRoot(t)
	root, u, err := applyEnts(t, t.TempDir(),
		dir("a/", 0o755),
		reg("a/keep", 0o644, "k"),
		whiteoutEnt("a/.wh.gone"),
		whiteoutEnt(".wh.top"),
		dir("o/", 0o755),
		whiteoutEnt("o/.wh..wh..opq"),
		reg("o/new", 0o644, "n"),
		whiteoutEnt("implicit/.wh..wh..opq"), // parent not in the layer
		whiteoutEnt("p/.wh..wh.plnk"),        // aufs metadata: ignored
		whiteoutEnt(".wh..wh..opq"),          // the root itself
		// Whiteouts and entries of the same name within one layer.
		reg("s/file-first", 0o644, "f"),
		whiteoutEnt("s/.wh.file-first"),
		whiteoutEnt("s/.wh.wh-first"),
		reg("s/wh-first", 0o644, "w"),
		whiteoutEnt("s/.wh.dir-after"),
		dir("s/dir-after/", 0o755),
		dir("s/dir-before/", 0o755),
		whiteoutEnt("s/.wh.dir-before"),
	)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		typ     uint32
		opaque  bool
		absents []string
	}{
		{name: "whiteout", path: "a/gone", typ: unix.S_IFCHR},
		{name: "whiteout at root", path: "top", typ: unix.S_IFCHR},
		{name: "sibling kept", path: "a/keep", typ: unix.S_IFREG},
		{name: "opaque", path: "o", typ: unix.S_IFDIR, opaque: true},
		{name: "opaque creates dir", path: "implicit", typ: unix.S_IFDIR, opaque: true},
		{name: "opaque root", path: ".", typ: unix.S_IFDIR, opaque: true},
		{name: "file then whiteout keeps file", path: "s/file-first", typ: unix.S_IFREG},
		{name: "whiteout then file", path: "s/wh-first", typ: unix.S_IFREG},
		{name: "whiteout then dir is opaque", path: "s/dir-after", typ: unix.S_IFDIR, opaque: true},
		{name: "dir then whiteout is opaque", path: "s/dir-before", typ: unix.S_IFDIR, opaque: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(root, tc.path)
			st := lstat(t, p)
			if st.Mode&unix.S_IFMT != tc.typ {
				t.Fatalf("type %o, want %o", st.Mode&unix.S_IFMT, tc.typ)
			}
			if tc.typ == unix.S_IFCHR && st.Rdev != 0 {
				t.Errorf("whiteout rdev %#x, want 0:0", st.Rdev)
			}
			if tc.typ == unix.S_IFDIR {
				v, ok := getxattr(t, p, opaqueXattr)
				if ok != tc.opaque || (ok && v != "y") {
					t.Errorf("opaque = %q (set %v), want set %v", v, ok, tc.opaque)
				}
			}
		})
	}
	t.Run("aufs metadata ignored", func(t *testing.T) {
		if _, err := os.Lstat(filepath.Join(root, "p")); !os.IsNotExist(err) {
			t.Errorf("p: %v, want it absent", err)
		}
	})
	t.Run("no whiteout files on disk", func(t *testing.T) {
		for _, n := range listAll(t, root) {
			if strings.Contains(n, whiteoutPrefix) {
				t.Errorf("%s is on disk", n)
			}
		}
	})
	t.Run("usage", func(t *testing.T) {
		if want := diskUsage(t, root); u != want {
			t.Errorf("usage = %+v, disk has %+v", u, want)
		}
	})
}

func TestApplyReplace(t *testing.T) {
	requireRoot(t)
	tests := []struct {
		name  string
		ents  []ent
		check fileWant
		gone  []string
	}{
		{
			name:  "file over file",
			ents:  []ent{reg("f", 0o644, "one"), reg("f", 0o600, "two")},
			check: fileWant{path: "f", typ: unix.S_IFREG, perm: 0o600, body: "two"},
		},
		{
			name:  "dir over file",
			ents:  []ent{reg("f", 0o644, "one"), dir("f/", 0o750)},
			check: fileWant{path: "f", typ: unix.S_IFDIR, perm: 0o750},
		},
		{
			name:  "file over dir removes it",
			ents:  []ent{dir("d/", 0o755), reg("d/a/b", 0o644, "b"), hardlink("keep", "d/a/b"), reg("d", 0o644, "file")},
			check: fileWant{path: "d", typ: unix.S_IFREG, perm: 0o644, body: "file"},
		},
		{
			name:  "dir over dir merges",
			ents:  []ent{dir("d/", 0o755), reg("d/a", 0o644, "a"), dir("d/", 0o711).owned(3, 4)},
			check: fileWant{path: "d/a", typ: unix.S_IFREG, perm: 0o644, body: "a"},
		},
		{
			name:  "merged dir takes the later metadata",
			ents:  []ent{dir("d/", 0o755), reg("d/a", 0o644, "a"), dir("d/", 0o711).owned(3, 4)},
			check: fileWant{path: "d", typ: unix.S_IFDIR, perm: 0o711, uid: 3, gid: 4, mtime: epoch},
		},
		{
			name:  "symlink over dir",
			ents:  []ent{dir("d/", 0o755), reg("d/a", 0o644, "a"), symlink("d", "elsewhere")},
			check: fileWant{path: "d", typ: unix.S_IFLNK, body: "elsewhere"},
		},
		{
			name:  "device over symlink",
			ents:  []ent{symlink("n", "/dev/null"), node("n", tar.TypeChar, 0o600, 1, 3)},
			check: fileWant{path: "n", typ: unix.S_IFCHR, perm: 0o600, rdev: unix.Mkdev(1, 3)},
		},
		{
			name:  "hard link over file",
			ents:  []ent{reg("a", 0o644, "a"), reg("b", 0o644, "b"), hardlink("b", "a")},
			check: fileWant{path: "b", typ: unix.S_IFREG, perm: 0o644, body: "a"},
		},
		{
			name:  "hard link to itself",
			ents:  []ent{reg("a", 0o644, "a"), hardlink("b", "a"), hardlink("b", "a")},
			check: fileWant{path: "b", typ: unix.S_IFREG, perm: 0o644, body: "a"},
		},
		{
			name:  "file over hard link leaves the other name",
			ents:  []ent{reg("a", 0o644, "a"), hardlink("b", "a"), reg("b", 0o600, "new")},
			check: fileWant{path: "a", typ: unix.S_IFREG, perm: 0o644, body: "a"},
		},
		{
			name:  "cached parent replaced",
			ents:  []ent{reg("d/x/a", 0o644, "a"), symlink("d/x", "y"), dir("d/y/", 0o755), reg("d/x/b", 0o644, "b")},
			check: fileWant{path: "d/y/b", typ: unix.S_IFREG, perm: 0o644, body: "b"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root, u, err := applyEnts(t, t.TempDir(), tc.ents...)
			if err != nil {
				t.Fatal(err)
			}
			checkFile(t, root, tc.check)
			if want := diskUsage(t, root); u != want {
				t.Errorf("usage = %+v, disk has %+v", u, want)
			}
		})
	}
}

func TestApplySparse(t *testing.T) {
	requireRoot(t)
	// archive/tar cannot write sparse files: build a PAX 0.1 sparse entry
	// by hand, a data block of 4 bytes at 8192 in a 16 KiB file.
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	recs := paxRecords(map[string]string{
		"GNU.sparse.numblocks": "1", "GNU.sparse.map": "8192,4", "GNU.sparse.size": "16384",
		"GNU.sparse.name": "sparse",
	})
	writeRaw(t, tw, &buf, tar.Header{Name: "PaxHeaders/sparse", Typeflag: tar.TypeReg, Size: int64(len(recs)), Mode: 0o644, Format: tar.FormatUSTAR}, recs, tar.TypeXHeader)
	writeRaw(t, tw, &buf, tar.Header{Name: "GNUSparseFile.0/sparse", Typeflag: tar.TypeReg, Size: 4, Mode: 0o640, ModTime: epoch, Format: tar.FormatUSTAR}, "abcd", 0)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	d := filepath.Join(t.TempDir(), "layer")
	if err := os.Mkdir(d, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(context.Background(), d, &buf); err != nil {
		t.Fatal(err)
	}
	want := make([]byte, 16384)
	copy(want[8192:], "abcd")
	checkFile(t, d, fileWant{path: "sparse", typ: unix.S_IFREG, perm: 0o640, body: string(want)})
}

func paxRecords(m map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}) {
		rec := " " + k + "=" + m[k] + "\n"
		n := len(rec)
		for n2 := n + len(strconv.Itoa(n)); ; n2 = n + len(strconv.Itoa(n2)) {
			if len(strconv.Itoa(n2))+n == n2 {
				n = n2
				break
			}
		}
		b.WriteString(strconv.Itoa(n) + rec)
	}
	return b.String()
}

// writeRaw writes an entry with tw and, if typ is set, patches its type
// flag (which tar.Writer would refuse) and checksum in buf.
func writeRaw(t *testing.T, tw *tar.Writer, buf *bytes.Buffer, hdr tar.Header, body string, typ byte) {
	t.Helper()
	if err := tw.Flush(); err != nil {
		t.Fatal(err)
	}
	off := buf.Len()
	if err := tw.WriteHeader(&hdr); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte(body)); err != nil {
		t.Fatal(err)
	}
	if typ == 0 {
		return
	}
	blk := buf.Bytes()[off : off+512]
	blk[156] = typ
	copy(blk[148:156], "        ")
	sum := 0
	for _, c := range blk {
		sum += int(c)
	}
	copy(blk[148:156], fmt.Sprintf("%06o\x00 ", sum))
}

func TestApplyDirectory(t *testing.T) {
	requireRoot(t)
	tests := []struct {
		name  string
		setup func(t *testing.T) string
		class error
	}{
		{
			name:  "missing",
			setup: func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope") },
			class: errdefs.ErrNotFound,
		},
		{
			name: "not empty",
			setup: func(t *testing.T) string {
				d := t.TempDir()
				if err := os.WriteFile(filepath.Join(d, "x"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
				return d
			},
			class: errdefs.ErrFailedPrecondition,
		},
		{
			name: "not a directory",
			setup: func(t *testing.T) string {
				f := filepath.Join(t.TempDir(), "f")
				if err := os.WriteFile(f, nil, 0o644); err != nil {
					t.Fatal(err)
				}
				return f
			},
			class: errdefs.ErrInvalidArgument,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Apply(context.Background(), tc.setup(t), bytes.NewReader(mkTar(t, reg("a", 0o644, "a"))))
			if !errors.Is(err, tc.class) {
				t.Fatalf("err = %v, want class %v", err, tc.class)
			}
		})
	}
}

func TestApplyErrors(t *testing.T) {
	requireRoot(t)
	good := mkTar(t, reg("a", 0o644, strings.Repeat("x", 2000)), reg("b", 0o644, "b"))
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name  string
		ctx   context.Context
		data  []byte
		class error
	}{
		{name: "canceled", ctx: canceled, data: good, class: context.Canceled},
		{name: "truncated header", ctx: context.Background(), data: good[:700], class: errdefs.ErrInvalidArgument},
		{name: "truncated contents", ctx: context.Background(), data: good[:1024], class: errdefs.ErrInvalidArgument},
		{name: "garbage", ctx: context.Background(), data: bytes.Repeat([]byte("junk"), 300), class: errdefs.ErrInvalidArgument},
		{
			name: "unsupported type", ctx: context.Background(),
			data:  mkTar(t, ent{hdr: tar.Header{Typeflag: 'V', Name: "vol"}}),
			class: errdefs.ErrInvalidArgument,
		},
		{
			name: "root as a file", ctx: context.Background(),
			data:  mkTar(t, reg(".", 0o644, "")),
			class: errdefs.ErrInvalidArgument,
		},
		{
			name: "hard link to a directory", ctx: context.Background(),
			data:  mkTar(t, dir("d/", 0o755), hardlink("l", "d")),
			class: errdefs.ErrInvalidArgument,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := t.TempDir()
			_, err := Apply(tc.ctx, d, bytes.NewReader(tc.data))
			if !errors.Is(err, tc.class) {
				t.Fatalf("err = %v, want class %v", err, tc.class)
			}
		})
	}
}

func TestApplyReadsToEnd(t *testing.T) {
	requireRoot(t)
	r := bytes.NewReader(append(mkTar(t, reg("a", 0o644, "a")), make([]byte, 10000)...))
	if _, err := Apply(context.Background(), t.TempDir(), r); err != nil {
		t.Fatal(err)
	}
	if r.Len() != 0 {
		t.Errorf("%d bytes left unread", r.Len())
	}
}
