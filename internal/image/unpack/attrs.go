package unpack

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/log"
)

// paxXattr prefixes the PAX records that carry extended attributes.
const paxXattr = "SCHILY.xattr."

// opaqueXattr marks an overlayfs directory whose lower layers are hidden.
const opaqueXattr = "trusted.overlay.opaque"

// perm returns the permission bits of hdr, setuid, setgid and sticky
// included.
func perm(hdr *tar.Header) uint32 { return uint32(hdr.Mode) & 0o7777 }

// times returns hdr's atime and mtime; archives without an atime get the
// mtime for both.
func times(hdr *tar.Header) [2]unix.Timespec {
	at := hdr.AccessTime
	if at.IsZero() {
		at = hdr.ModTime
	}
	return [2]unix.Timespec{
		{Sec: at.Unix(), Nsec: int64(at.Nanosecond())},
		{Sec: hdr.ModTime.Unix(), Nsec: int64(hdr.ModTime.Nanosecond())},
	}
}

// setTimesAt sets atime and mtime of base in dirfd, not following a
// symlink.
func setTimesAt(dirfd int, base string, ts *[2]unix.Timespec) error {
	return unix.UtimesNanoAt(dirfd, base, ts[:], unix.AT_SYMLINK_NOFOLLOW)
}

// chmodAt sets the mode of base in dirfd. fchmodat2 (Linux 6.6) refuses to
// follow a symlink; on older kernels plain fchmodat is used once the entry
// is known not to be a symlink.
func chmodAt(dirfd int, base string, mode uint32) error {
	err := unix.Fchmodat(dirfd, base, mode, unix.AT_SYMLINK_NOFOLLOW)
	if err != unix.EOPNOTSUPP {
		return err
	}
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		return unix.EOPNOTSUPP
	}
	return unix.Fchmodat(dirfd, base, mode, 0)
}

// procPath names base in directory dirfd through /proc, for the calls that
// have no *at form (lsetxattr). The kernel resolves the fd itself, so the
// path cannot lead anywhere else, and lsetxattr does not follow base.
func procPath(dirfd int, base string) string {
	return "/proc/self/fd/" + strconv.Itoa(dirfd) + "/" + base
}

// xattrTarget is where setXattrs writes: an fd open for writing xattrs, or
// (fd < 0) a path for lsetxattr.
type xattrTarget struct {
	fd   int
	path string
}

func (t xattrTarget) set(name string, value []byte) error {
	if t.fd >= 0 {
		return unix.Fsetxattr(t.fd, name, value, 0)
	}
	return unix.Lsetxattr(t.path, name, value, 0)
}

// setXattrs writes the xattrs carried in hdr's PAX records. Those the file
// system does not support are skipped; overlayfs's own namespaces are
// dropped, so that a layer cannot forge whiteouts, redirects or metacopy
// files other than through OCI whiteout entries.
func setXattrs(ctx context.Context, hdr *tar.Header, t xattrTarget) error {
	for k, v := range hdr.PAXRecords {
		name, ok := strings.CutPrefix(k, paxXattr)
		if !ok {
			continue
		}
		if strings.HasPrefix(name, "trusted.overlay.") || strings.HasPrefix(name, "user.overlay.") {
			log.G(ctx).Debug("dropping overlay xattr from layer", "entry", hdr.Name, "xattr", name)
			continue
		}
		err := t.set(name, []byte(v))
		if errors.Is(err, unix.ENOTSUP) {
			log.G(ctx).Debug("file system does not support xattr, skipped", "entry", hdr.Name, "xattr", name)
			continue
		}
		if err != nil {
			return fmt.Errorf("setxattr %s: %w", name, err)
		}
	}
	return nil
}

// hasXattrs reports whether hdr carries any xattr, without allocating.
func hasXattrs(hdr *tar.Header) bool {
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, paxXattr) {
			return true
		}
	}
	return false
}

// setOpaque marks directory base in dirfd ("." for dirfd itself) opaque.
func setOpaque(dirfd int, base string) error {
	return unix.Lsetxattr(procPath(dirfd, base), opaqueXattr, []byte("y"), 0)
}
