package unpack

import (
	"archive/tar"
	"strings"

	"golang.org/x/sys/unix"
)

// OCI whiteout names (image-spec layer.md).
const (
	whiteoutPrefix = ".wh."
	// whiteoutMeta prefixes aufs metadata (.wh..wh.plnk, .wh..wh.aufs),
	// which has no meaning on overlayfs.
	whiteoutMeta   = ".wh..wh."
	opaqueWhiteout = ".wh..wh..opq"
)

// whiteout converts an OCI whiteout entry to overlayfs form. The entry
// itself never appears in the layer directory.
//
//   - "a/.wh..wh..opq" sets trusted.overlay.opaque=y on "a".
//   - "a/.wh.b" makes "a/b" a character device 0:0. If this layer already
//     wrote "a/b", that entry stays: OCI whiteouts only hide lower layers,
//     and a name in this layer hides the lower one anyway; a directory is
//     marked opaque instead, so that the lower one is hidden, not merged.
func (a *applier) whiteout(hdr *tar.Header, parent, base string) error {
	if base == opaqueWhiteout {
		pfd, err := a.root.dir(parent, true)
		if err == nil {
			err = setOpaque(pfd, ".")
		}
		if err != nil {
			return entryError(hdr.Name, "marking opaque", err)
		}
		return nil
	}
	if strings.HasPrefix(base, whiteoutMeta) {
		return nil
	}
	target := base[len(whiteoutPrefix):]
	if target == "" || target == "." || target == ".." {
		return invalidEntry(hdr.Name, "invalid whiteout name")
	}
	pfd, err := a.root.dir(parent, true)
	if err != nil {
		return entryError(hdr.Name, "resolving parent directory", err)
	}
	err = unix.Mknodat(pfd, target, unix.S_IFCHR, 0)
	if err == unix.EEXIST {
		var st unix.Stat_t
		if err = unix.Fstatat(pfd, target, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
			err = setOpaque(pfd, target)
		}
		if err != nil {
			return entryError(hdr.Name, "whiteout", err)
		}
		return nil
	}
	if err != nil {
		return entryError(hdr.Name, "whiteout", err)
	}
	a.usage.Inodes++
	return nil
}

// isWhiteout reports whether st is an overlayfs whiteout.
func isWhiteout(st *unix.Stat_t) bool {
	return st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0
}

// hasWhiteoutDir reports whether a directory of name (a clean parent path)
// is a whiteout name, which would make the whiteout appear on disk.
func hasWhiteoutDir(parent string) bool {
	if !strings.Contains(parent, whiteoutPrefix) {
		return false
	}
	for c := range strings.SplitSeq(parent, "/") {
		if strings.HasPrefix(c, whiteoutPrefix) {
			return true
		}
	}
	return false
}
