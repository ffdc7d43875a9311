package unpack

import (
	"archive/tar"
	"io"
	"strconv"

	"golang.org/x/sys/unix"
)

// newEntry is a tar entry about to be created as base in directory dirfd,
// an fd resolved inside the root. base is one component, never "." or
// "..", and is never followed: every call below is an *at call on dirfd
// with AT_SYMLINK_NOFOLLOW, O_NOFOLLOW or a call that never follows.
type newEntry struct {
	hdr   *tar.Header
	name  string // clean, relative to the root
	dirfd int
	base  string
}

// fail wraps err with the entry's name.
func (e *newEntry) fail(op string, err error) error { return entryError(e.hdr.Name, op, err) }

// clear removes what holds e's name so that the entry can replace it, as
// a later tar entry replaces an earlier one.
func (a *applier) clear(e *newEntry) error {
	var st unix.Stat_t
	if err := unix.Fstatat(e.dirfd, e.base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	return a.root.removeAt(e.dirfd, e.base, &st, &a.usage)
}

const createFlags = unix.O_WRONLY | unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW | unix.O_CLOEXEC

func (a *applier) regular(e *newEntry, r io.Reader) error {
	fd, err := unix.Openat(e.dirfd, e.base, createFlags, 0o600)
	if err == unix.EEXIST {
		if err = a.clear(e); err == nil {
			fd, err = unix.Openat(e.dirfd, e.base, createFlags, 0o600)
		}
	}
	if err != nil {
		return e.fail("creating file", err)
	}
	defer unix.Close(fd)
	if err := a.copy(fd, e, r); err != nil {
		return err
	}
	// chown clears setuid and security.capability: chown, then chmod,
	// then xattrs.
	if err := unix.Fchown(fd, e.hdr.Uid, e.hdr.Gid); err != nil {
		return e.fail("chown", err)
	}
	if err := unix.Fchmod(fd, perm(e.hdr)); err != nil {
		return e.fail("chmod", err)
	}
	if hasXattrs(e.hdr) {
		if err := setXattrs(a.ctx, e.hdr, xattrTarget{fd: fd}); err != nil {
			return e.fail("xattrs", err)
		}
	}
	ts := times(e.hdr)
	if err := setTimesAt(e.dirfd, e.base, &ts); err != nil {
		return e.fail("setting times", err)
	}
	a.usage.Bytes += blocks(e.hdr.Size)
	a.usage.Inodes++
	return nil
}

// copy writes the entry's contents from r to fd through a.buf. Holes of
// sparse files are written as zeros.
func (a *applier) copy(fd int, e *newEntry, r io.Reader) error {
	done := a.ctx.Done()
	for {
		n, rerr := r.Read(a.buf)
		for b := a.buf[:n]; len(b) > 0; {
			w, err := unix.Write(fd, b)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return e.fail("writing file", err)
			}
			b = b[w:]
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return readError(rerr)
		}
		select {
		case <-done:
			return e.fail("writing file", a.ctx.Err())
		default:
		}
	}
}

func (a *applier) directory(e *newEntry) error {
	opaque := false
	err := unix.Mkdirat(e.dirfd, e.base, 0o700)
	if err == unix.EEXIST {
		var st unix.Stat_t
		if err = unix.Fstatat(e.dirfd, e.base, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil {
			if st.Mode&unix.S_IFMT == unix.S_IFDIR {
				a.usage.Inodes-- // a directory over a directory merges
			} else if err = a.root.removeAt(e.dirfd, e.base, &st, &a.usage); err == nil {
				// A whiteout and then a directory of the same name in one
				// layer: the directory replaces the lower one entirely.
				opaque = isWhiteout(&st)
				err = unix.Mkdirat(e.dirfd, e.base, 0o700)
			}
		}
	}
	if err != nil {
		return e.fail("mkdir", err)
	}
	a.usage.Inodes++
	if err := unix.Fchownat(e.dirfd, e.base, e.hdr.Uid, e.hdr.Gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return e.fail("chown", err)
	}
	if err := chmodAt(e.dirfd, e.base, perm(e.hdr)); err != nil {
		return e.fail("chmod", err)
	}
	if err := a.pathXattrs(e); err != nil {
		return err
	}
	if opaque {
		if err := setOpaque(e.dirfd, e.base); err != nil {
			return e.fail("marking opaque", err)
		}
	}
	a.dirs = append(a.dirs, dirTimes{name: e.name, ts: times(e.hdr)})
	return nil
}

// pathXattrs sets the xattrs of an entry that has no open fd.
func (a *applier) pathXattrs(e *newEntry) error {
	if !hasXattrs(e.hdr) {
		return nil
	}
	t := xattrTarget{fd: -1, path: procPath(e.dirfd, e.base)}
	if err := setXattrs(a.ctx, e.hdr, t); err != nil {
		return e.fail("xattrs", err)
	}
	return nil
}

// rootDir applies a "./" entry to the layer directory itself.
func (a *applier) rootDir(hdr *tar.Header) error {
	if hdr.Typeflag != tar.TypeDir {
		return invalidEntry(hdr.Name, "the layer root must be a directory")
	}
	fd := a.root.fd
	if err := unix.Fchown(fd, hdr.Uid, hdr.Gid); err != nil {
		return entryError(hdr.Name, "chown", err)
	}
	if err := unix.Fchmod(fd, perm(hdr)); err != nil {
		return entryError(hdr.Name, "chmod", err)
	}
	if err := setXattrs(a.ctx, hdr, xattrTarget{fd: fd}); err != nil {
		return entryError(hdr.Name, "xattrs", err)
	}
	a.dirs = append(a.dirs, dirTimes{name: "", ts: times(hdr)})
	return nil
}

// symlink stores the target verbatim: it is the link's content, resolved
// later by whoever follows it (in a container, inside its root).
func (a *applier) symlink(e *newEntry) error {
	err := unix.Symlinkat(e.hdr.Linkname, e.dirfd, e.base)
	if err == unix.EEXIST {
		if err = a.clear(e); err == nil {
			err = unix.Symlinkat(e.hdr.Linkname, e.dirfd, e.base)
		}
	}
	if err != nil {
		return e.fail("symlink", err)
	}
	a.usage.Inodes++
	return a.finishPath(e, false)
}

func (a *applier) device(e *newEntry) error {
	mode := perm(e.hdr)
	switch e.hdr.Typeflag {
	case tar.TypeChar:
		mode |= unix.S_IFCHR
	case tar.TypeBlock:
		mode |= unix.S_IFBLK
	default:
		mode |= unix.S_IFIFO
	}
	dev := int(unix.Mkdev(uint32(e.hdr.Devmajor), uint32(e.hdr.Devminor)))
	err := unix.Mknodat(e.dirfd, e.base, mode, dev)
	if err == unix.EEXIST {
		if err = a.clear(e); err == nil {
			err = unix.Mknodat(e.dirfd, e.base, mode, dev)
		}
	}
	if err != nil {
		return e.fail("mknod", err)
	}
	a.usage.Inodes++
	return a.finishPath(e, true)
}

// finishPath sets owner, mode (if chmod), xattrs and times of an entry
// that has no open fd.
func (a *applier) finishPath(e *newEntry, chmod bool) error {
	if err := unix.Fchownat(e.dirfd, e.base, e.hdr.Uid, e.hdr.Gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return e.fail("chown", err)
	}
	if chmod {
		if err := chmodAt(e.dirfd, e.base, perm(e.hdr)); err != nil {
			return e.fail("chmod", err)
		}
	}
	if err := a.pathXattrs(e); err != nil {
		return err
	}
	ts := times(e.hdr)
	if err := setTimesAt(e.dirfd, e.base, &ts); err != nil {
		return e.fail("setting times", err)
	}
	return nil
}

// hardlink links e to an entry written earlier in this layer. The target
// name is cleaned and resolved inside the root like any other; its last
// component is linked as is (a link to a symlink links the symlink). The
// link shares the target's inode, so the entry's own metadata is ignored.
func (a *applier) hardlink(e *newEntry) error {
	target, ok := cleanName(e.hdr.Linkname)
	if !ok || target == "" {
		return invalidEntry(e.hdr.Name, "hard link target "+quote(e.hdr.Linkname)+" is not a file in the layer")
	}
	tparent, tbase := splitName(target)
	tfd, err := a.root.open(tparent, unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return e.fail("resolving hard link target "+quote(e.hdr.Linkname), err)
	}
	defer unix.Close(tfd)
	var tst unix.Stat_t
	if err := unix.Fstatat(tfd, tbase, &tst, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return e.fail("hard link target "+quote(e.hdr.Linkname), err)
	}
	if tst.Mode&unix.S_IFMT == unix.S_IFDIR {
		return invalidEntry(e.hdr.Name, "hard link target "+quote(e.hdr.Linkname)+" is a directory")
	}
	err = unix.Linkat(tfd, tbase, e.dirfd, e.base, 0)
	if err == unix.EEXIST {
		var st unix.Stat_t
		if err = unix.Fstatat(e.dirfd, e.base, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil {
			if st.Dev == tst.Dev && st.Ino == tst.Ino {
				return nil // already that file
			}
			if err = a.root.removeAt(e.dirfd, e.base, &st, &a.usage); err == nil {
				err = unix.Linkat(tfd, tbase, e.dirfd, e.base, 0)
			}
		}
	}
	if err != nil {
		return e.fail("link", err)
	}
	return nil
}

func quote(s string) string { return strconv.Quote(s) }
