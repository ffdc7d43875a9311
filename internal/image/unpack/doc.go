// Package unpack turns an image layer blob into a directory that overlayfs
// can use as a lowerdir.
//
// Decompress picks the decompressor for a layer's media type (gzip, zstd or
// none, sniffing the magic bytes when the media type says nothing); gzip
// is decompressed in a goroutine of its own, ahead of the reader, so that
// decompressing and writing files overlap. Apply writes an uncompressed
// layer tar into an empty directory and reports what it takes on disk.
//
// Each layer gets its own directory; overlayfs stacks them, so OCI
// whiteouts are written in overlayfs form: "a/.wh.b" becomes the character
// device 0:0 "a/b", and "a/.wh..wh..opq" the xattr trusted.overlay.opaque=y
// on "a". Whiteout files never appear on disk; ".wh..wh.*" aufs metadata is
// ignored.
//
// # Confinement
//
// A layer is untrusted input. Apply never writes outside its directory:
//
//   - Entry names are cleaned lexically. A leading "/" is dropped ("/etc/x"
//     is "etc/x", as GNU tar and containerd do). A name that climbs above
//     the root ("../x", "a/../../x") is rejected, as moby and GNU tar do,
//     and so are names with a whiteout name as a directory.
//   - Every parent directory is opened with openat2(RESOLVE_IN_ROOT), so
//     symlinks in the layer — absolute or relative, planted earlier in the
//     same tar, chained — resolve as if the layer directory were "/", which
//     is what a container will see (containerd's and runc's securejoin
//     semantics). "evil -> /etc" then "evil/passwd" writes
//     <dir>/etc/passwd. Missing directories on the way, dangling symlink
//     targets included, are created inside the root.
//   - The last component is created with *at calls on that parent fd and
//     never followed: an entry replaces whatever the same name held (a
//     directory over a directory merges); it never writes through it.
//   - Hard link targets are resolved the same way and must be files already
//     written by this layer.
//   - Symlink targets are stored verbatim ("/bin/sh -> /bin/busybox" is
//     normal); they only matter when a path is resolved, and then they are
//     confined as above.
//   - xattrs in the trusted.overlay. and user.overlay. namespaces are
//     dropped: only OCI whiteout entries may produce overlay metadata.
//
// # Directories the layer omits
//
// A directory that Apply must create because the layer has entries below
// it but no entry for it is 0755 root:root, as containers/storage makes
// it. It does not copy the lower layers' metadata (as containerd does):
// that would make a layer's directory depend on the layers below it,
// where skiff shares one directory among all images with that layer.
// Image builders write every parent directory, so this matters only for
// hand-made layers.
//
// Entries that cannot be confined, and other malformed entries, fail with
// an error of class errdefs.ErrInvalidArgument naming the entry.
//
// Apply needs root (CAP_CHOWN, CAP_MKNOD, CAP_SYS_ADMIN for trusted.*
// xattrs, CAP_FOWNER, CAP_DAC_OVERRIDE), Linux 5.6 or later (openat2) and
// /proc (xattrs on symlinks and devices are set through /proc/self/fd).
package unpack
