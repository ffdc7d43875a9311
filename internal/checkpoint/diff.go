package checkpoint

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// OCI whiteouts, as in image layers.
const (
	whiteoutPrefix = ".wh."
	opaqueWhiteout = ".wh..wh..opq"
)

// overlayXattr is the prefix of the xattrs that carry overlayfs's own
// metadata; they stay out of the diff.
const overlayXattr = "trusted.overlay."

// WriteDiff writes the overlayfs upper directory upper to w as an OCI
// layer tar: whiteouts and opaque directories become whiteout files. It
// returns the paths the whiteouts remove ("/etc/motd"), for deleted.files.
func WriteDiff(ctx context.Context, w io.Writer, upper string) ([]string, error) {
	d := &differ{tw: tar.NewWriter(w), upper: upper, links: map[fileID]string{}}
	err := filepath.WalkDir(upper, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == upper {
			return nil
		}
		rel, err := filepath.Rel(upper, p)
		if err != nil {
			return err
		}
		return d.entry(p, filepath.ToSlash(rel))
	})
	if err != nil {
		return nil, err
	}
	return d.deleted, d.tw.Close()
}

// fileID identifies an inode, to write its further names as hard links.
type fileID struct{ dev, ino uint64 }

type differ struct {
	tw      *tar.Writer
	upper   string
	links   map[fileID]string // first name of each multiply linked file
	deleted []string
}

func (d *differ) entry(p, name string) error {
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		return &fs.PathError{Op: "lstat", Path: p, Err: err}
	}
	if st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0 {
		return d.whiteout(name)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFSOCK {
		return nil // a socket is recreated by whoever binds it
	}
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	link := ""
	if fi.Mode()&fs.ModeSymlink != 0 {
		if link, err = os.Readlink(p); err != nil {
			return err
		}
	}
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	hdr.Name, hdr.Uname, hdr.Gname, hdr.Format = name, "", "", tar.FormatPAX
	hdr.AccessTime, hdr.ChangeTime = time.Time{}, time.Time{}
	if fi.IsDir() {
		hdr.Name += "/"
	}
	id := fileID{uint64(st.Dev), st.Ino}
	if fi.Mode().IsRegular() && st.Nlink > 1 {
		if first, ok := d.links[id]; ok {
			hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
		} else {
			d.links[id] = name
		}
	}
	opaque, err := d.xattrs(p, hdr)
	if err != nil {
		return err
	}
	if err := d.tw.WriteHeader(hdr); err != nil {
		return err
	}
	if hdr.Typeflag == tar.TypeReg && hdr.Size > 0 {
		if err := copyFile(d.tw, p, hdr.Size); err != nil {
			return err
		}
	}
	if opaque {
		return d.opaque(name)
	}
	return nil
}

// whiteout writes the OCI whiteout of name.
func (d *differ) whiteout(name string) error {
	dir, base := path.Split(name)
	d.deleted = append(d.deleted, "/"+name)
	return d.tw.WriteHeader(&tar.Header{Name: dir + whiteoutPrefix + base, Typeflag: tar.TypeReg, Mode: 0o600, Format: tar.FormatPAX})
}

// opaque writes the opaque whiteout of directory name: it hides what
// the image has below it. deleted.files does not list the directory:
// cri-o and Podman remove its paths after unpacking the diff, which
// would remove the directory's new contents too.
func (d *differ) opaque(name string) error {
	return d.tw.WriteHeader(&tar.Header{Name: name + "/" + opaqueWhiteout, Typeflag: tar.TypeReg, Mode: 0o600, Format: tar.FormatPAX})
}

// xattrs adds p's xattrs to hdr as PAX records, but for overlayfs's
// own, and reports whether p is an opaque directory.
func (d *differ) xattrs(p string, hdr *tar.Header) (opaque bool, err error) {
	names, err := listXattrs(p)
	if err != nil {
		return false, err
	}
	for _, n := range names {
		v, err := getXattr(p, n)
		if errors.Is(err, unix.ENODATA) {
			continue // removed meanwhile
		}
		if err != nil {
			return false, err
		}
		if strings.HasPrefix(n, overlayXattr) {
			opaque = opaque || n == overlayXattr+"opaque" && string(v) == "y"
			continue
		}
		if hdr.PAXRecords == nil {
			hdr.PAXRecords = map[string]string{}
		}
		hdr.PAXRecords["SCHILY.xattr."+n] = string(v)
	}
	return opaque, nil
}

func listXattrs(p string) ([]string, error) {
	buf := make([]byte, 1024)
	for {
		n, err := unix.Llistxattr(p, buf)
		if errors.Is(err, unix.ERANGE) {
			buf = make([]byte, len(buf)*4)
			continue
		}
		if errors.Is(err, unix.ENOTSUP) {
			return nil, nil
		}
		if err != nil {
			return nil, &fs.PathError{Op: "llistxattr", Path: p, Err: err}
		}
		var names []string
		for s := range strings.SplitSeq(string(buf[:n]), "\x00") {
			if s != "" {
				names = append(names, s)
			}
		}
		return names, nil
	}
}

func getXattr(p, name string) ([]byte, error) {
	buf := make([]byte, 256)
	for {
		n, err := unix.Lgetxattr(p, name, buf)
		if errors.Is(err, unix.ERANGE) {
			buf = make([]byte, len(buf)*4)
			continue
		}
		if err != nil {
			return nil, err
		}
		return buf[:n], nil
	}
}

// copyFile copies size bytes of the file at p; a file that changed size
// meanwhile is cut or padded with zeros, as tar needs.
func copyFile(w io.Writer, p string, size int64) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.Copy(w, io.LimitReader(f, size))
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	if n < size {
		_, err = io.Copy(w, io.LimitReader(zeros{}, size-n))
	}
	return err
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
