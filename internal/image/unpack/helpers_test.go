package unpack

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// epoch is the mtime of test entries unless they set their own.
var epoch = time.Date(2024, time.January, 2, 3, 4, 5, 0, time.UTC)

// ent is one member of a test layer.
type ent struct {
	hdr  tar.Header
	body string
}

func reg(name string, mode int64, body string) ent {
	return ent{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(body))}, body: body}
}

func dir(name string, mode int64) ent {
	return ent{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode}}
}

func symlink(name, target string) ent {
	return ent{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777}}
}

func hardlink(name, target string) ent {
	return ent{hdr: tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: target, Mode: 0o644}}
}

func node(name string, typ byte, mode, major, minor int64) ent {
	return ent{hdr: tar.Header{Typeflag: typ, Name: name, Mode: mode, Devmajor: major, Devminor: minor}}
}

// whiteout is an OCI whiteout file as image builders write it.
func whiteoutEnt(name string) ent { return reg(name, 0o644, "") }

// owned sets the owner of e.
func (e ent) owned(uid, gid int) ent { e.hdr.Uid, e.hdr.Gid = uid, gid; return e }

// xattr adds an xattr to e.
func (e ent) xattr(name, value string) ent {
	recs := map[string]string{paxXattr + name: value}
	for k, v := range e.hdr.PAXRecords {
		recs[k] = v
	}
	e.hdr.PAXRecords = recs
	return e
}

// at sets e's mtime and atime.
func (e ent) at(mtime, atime time.Time) ent { e.hdr.ModTime, e.hdr.AccessTime = mtime, atime; return e }

// mkTar builds a PAX tar of ents.
func mkTar(t testing.TB, ents ...ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		hdr := e.hdr
		hdr.Format = tar.FormatPAX
		if hdr.ModTime.IsZero() {
			hdr.ModTime = epoch
		}
		if err := tw.WriteHeader(&hdr); err != nil {
			t.Fatalf("tar header %q: %v", hdr.Name, err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatalf("tar body %q: %v", hdr.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// requireRoot skips tests that need real root on the real kernel.
func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (mknod, chown, trusted.* xattrs)")
	}
}

// applyEnts unpacks ents into a fresh directory named layer under parent.
func applyEnts(t testing.TB, parent string, ents ...ent) (string, Usage, error) {
	t.Helper()
	d := filepath.Join(parent, "layer")
	if err := os.Mkdir(d, 0o755); err != nil {
		t.Fatal(err)
	}
	u, err := Apply(context.Background(), d, bytes.NewReader(mkTar(t, ents...)))
	return d, u, err
}

func lstat(t testing.TB, p string) unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		t.Fatalf("lstat: %v", err)
	}
	return st
}

// getxattr returns the value of xattr name on p (not following), and
// whether it is set.
func getxattr(t testing.TB, p, name string) (string, bool) {
	t.Helper()
	buf := make([]byte, 4096)
	n, err := unix.Lgetxattr(p, name, buf)
	if errors.Is(err, unix.ENODATA) {
		return "", false
	}
	if err != nil {
		t.Fatalf("lgetxattr %s %s: %v", p, name, err)
	}
	return string(buf[:n]), true
}

// diskUsage walks d the way Usage counts: each inode below d once, and
// the regular files' sizes rounded up to 4 KiB.
func diskUsage(t testing.TB, d string) Usage {
	t.Helper()
	var u Usage
	seen := map[uint64]bool{}
	err := filepath.WalkDir(d, func(p string, _ fs.DirEntry, err error) error {
		if err != nil || p == d {
			return err
		}
		st := lstat(t, p)
		if seen[st.Ino] {
			return nil
		}
		seen[st.Ino] = true
		u.Inodes++
		if st.Mode&unix.S_IFMT == unix.S_IFREG {
			u.Bytes += blocks(st.Size)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// listAll returns every name below d, relative to it.
func listAll(t testing.TB, d string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(d, func(p string, _ fs.DirEntry, err error) error {
		if err != nil || p == d {
			return err
		}
		rel, _ := filepath.Rel(d, p)
		names = append(names, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}
