package unpack

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// Usage is what an unpacked layer takes on disk.
type Usage struct {
	// Bytes is the sum of the regular files' sizes, each rounded up to
	// 4 KiB blocks. Directories, symlinks and devices are not counted.
	Bytes int64
	// Inodes is the number of inodes created: every entry, the directories
	// made for entries whose parents the layer omits, and whiteouts. A hard
	// link adds none.
	Inodes int64
}

const blockSize = 4096

func blocks(size int64) int64 { return (size + blockSize - 1) &^ (blockSize - 1) }

// release takes off u an inode that was removed.
func (u *Usage) release(st *unix.Stat_t) {
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
	case unix.S_IFREG:
		if st.Nlink > 1 {
			return // another name keeps it
		}
		u.Bytes -= blocks(st.Size)
	default:
		if st.Nlink > 1 {
			return
		}
	}
	u.Inodes--
}

// copyBufSize is the chunk in which file contents are copied.
const copyBufSize = 128 << 10

var copyBufs = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

// Apply reads an uncompressed layer tar from r and writes it into dir,
// which must exist and be empty, in the form overlayfs takes as a lowerdir.
// It returns what the layer takes on disk. See the package documentation
// for how hostile entries are confined.
//
// r is read in 512-byte headers and large chunks, so it should be buffered
// (Decompress's result is). After the end of the archive Apply reads r to
// its end, so that a digest computed over it covers the whole blob.
//
// Apply stops at the first error and returns it; dir is then left
// half-written for the caller to remove. ctx is checked between entries and
// while copying file contents.
func Apply(ctx context.Context, dir string, r io.Reader) (Usage, error) {
	rt, err := openRoot(dir)
	if err != nil {
		return Usage{}, err
	}
	defer rt.close()
	buf := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(buf)
	a := &applier{ctx: ctx, root: rt, buf: *buf}
	rt.made = a.madeDir

	if err := a.entries(tar.NewReader(r)); err != nil {
		return a.usage, err
	}
	if err := a.setDirTimes(); err != nil {
		return a.usage, err
	}
	if _, err := io.CopyBuffer(io.Discard, r, a.buf); err != nil {
		return a.usage, readError(err)
	}
	return a.usage, nil
}

// applier is the state of one Apply call.
type applier struct {
	ctx   context.Context
	root  *root
	buf   []byte
	usage Usage
	// dirs are the directories whose times are set once all entries are
	// written, since writing a child changes its parent's mtime.
	dirs []dirTimes
}

// madeDir is called for each directory Apply creates without an entry of
// its own, 0755 root:root: it counts it.
func (a *applier) madeDir(int, string, string) error {
	a.usage.Inodes++
	return nil
}

type dirTimes struct {
	name string
	ts   [2]unix.Timespec
}

// entries writes the archive's entries, checking ctx between them.
func (a *applier) entries(tr *tar.Reader) error {
	for {
		if err := a.ctx.Err(); err != nil {
			return fmt.Errorf("unpacking layer: %w", err)
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		// ErrInsecurePath (GODEBUG=tarinsecurepath=0) comes with a valid
		// header; the name checks in entry are ours and stricter.
		if err != nil && !errors.Is(err, tar.ErrInsecurePath) {
			return readError(err)
		}
		if err := a.entry(hdr, tr); err != nil {
			return err
		}
	}
}

// entry writes one tar entry.
func (a *applier) entry(hdr *tar.Header, tr io.Reader) error {
	name, ok := cleanName(hdr.Name)
	if !ok {
		return invalidEntry(hdr.Name, "path escapes the layer root")
	}
	parent, base := splitName(name)
	if hasWhiteoutDir(parent) {
		return invalidEntry(hdr.Name, "a whiteout name cannot be a directory")
	}
	if strings.HasPrefix(base, whiteoutPrefix) {
		return a.whiteout(hdr, parent, base)
	}
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return nil
	}
	if name == "" {
		return a.rootDir(hdr)
	}
	pfd, err := a.root.dir(parent, true)
	if err != nil {
		return entryError(hdr.Name, "resolving parent directory", err)
	}
	e := &newEntry{hdr: hdr, name: name, dirfd: pfd, base: base}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeGNUSparse, tar.TypeCont:
		return a.regular(e, tr)
	case tar.TypeDir:
		return a.directory(e)
	case tar.TypeSymlink:
		return a.symlink(e)
	case tar.TypeLink:
		return a.hardlink(e)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		return a.device(e)
	}
	return invalidEntry(hdr.Name, fmt.Sprintf("unsupported entry type %q", hdr.Typeflag))
}

// cleanName returns a tar name relative to the root ("" is the root), or
// false if it climbs above the root. A leading "/" is dropped.
func cleanName(name string) (string, bool) {
	if name == "" {
		return "", false
	}
	name = path.Clean(strings.TrimLeft(name, "/"))
	switch {
	case name == ".":
		return "", true
	case name == "..", strings.HasPrefix(name, "../"):
		return "", false
	}
	return name, true
}

// splitName splits a clean name into its parent ("" for the root) and
// last component.
func splitName(name string) (parent, base string) {
	i := strings.LastIndexByte(name, '/')
	if i < 0 {
		return "", name
	}
	return name[:i], name[i+1:]
}

// setDirTimes sets the times of the layer's directories, last of all.
func (a *applier) setDirTimes() error {
	for i := range a.dirs {
		d := &a.dirs[i]
		if d.name == "" {
			if err := unix.UtimesNanoAt(a.root.fd, ".", d.ts[:], 0); err != nil {
				return entryError("/", "setting times", err)
			}
			continue
		}
		parent, base := splitName(d.name)
		pfd, err := a.root.dir(parent, false)
		var st unix.Stat_t
		if err == nil {
			err = unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW)
		}
		if err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
			continue // replaced by a later entry
		}
		if err := setTimesAt(pfd, base, &d.ts); err != nil {
			return entryError(d.name, "setting times", err)
		}
	}
	return nil
}

// invalidEntry is the error for an entry the layer must not contain.
func invalidEntry(name, why string) error {
	return fmt.Errorf("%w: layer entry %q: %s", errdefs.ErrInvalidArgument, name, why)
}

// entryError wraps a failed system call on an entry with the error class
// its errno belongs to. Errors caused by what the archive asks for (a
// missing hard link target, a file where a directory should be, a symlink
// loop, …) are ErrInvalidArgument.
func entryError(name, op string, err error) error {
	return fmt.Errorf("%w: layer entry %q: %s: %w", errnoClass(err), name, op, err)
}

func errnoClass(err error) error {
	var errno unix.Errno
	if !errors.As(err, &errno) {
		return errdefs.ErrInternal
	}
	switch errno {
	case unix.ENOSPC, unix.EDQUOT:
		return errdefs.ErrResourceExhausted
	case unix.EPERM, unix.EACCES:
		return errdefs.ErrPermissionDenied
	case unix.EIO, unix.EROFS, unix.ENOMEM, unix.EMFILE, unix.ENFILE, unix.EBADF, unix.ENOSYS:
		return errdefs.ErrInternal
	}
	return errdefs.ErrInvalidArgument
}

// readError classifies an error reading the layer: a corrupt or truncated
// stream is ErrInvalidArgument, a failing source keeps its own class.
func readError(err error) error {
	var corrupt flate.CorruptInputError
	if errors.Is(err, tar.ErrHeader) || errors.Is(err, tar.ErrFieldTooLong) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) ||
		errors.Is(err, zstd.ErrMagicMismatch) || errors.Is(err, zstd.ErrCRCMismatch) ||
		errors.As(err, &corrupt) {
		return fmt.Errorf("%w: reading layer: %w", errdefs.ErrInvalidArgument, err)
	}
	return fmt.Errorf("reading layer: %w", err)
}
