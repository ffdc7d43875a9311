// Package rootfs mounts and unmounts a container's root filesystem: an
// overlayfs of read-only image layer directories under a writable layer
// of the container's own.
//
// # Layout under a container's directory
//
//	upper/    the writable layer: everything the container changes
//	work/     overlayfs's scratch directory (same filesystem as upper/)
//	rootfs/   the merged view; the OCI spec's root.path
//
// # Mounting
//
// Layers are stacked with the new mount API when the kernel has it
// (fsopen("overlay") and one fsconfig "lowerdir+" per layer, Linux ≥ 6.8):
// there is then no limit on the length of all layer paths together, and
// paths may contain ',' and ':'. Each path is passed as a string when it
// fits fsconfig's 255-byte limit and as a directory file descriptor
// otherwise (Linux ≥ 6.13). On older kernels Mount falls back to mount(2)
// with the classic "lowerdir=a:b:c" option string, which must fit in one
// page; it fails with errdefs.ErrFailedPrecondition when it would not.
// Overlayfs takes at most 500 lower layers either way.
//
// The options are those of containerd's and cri-o's overlay drivers,
// pinned rather than left to module parameters:
//
//   - index=off: the inode index ties an upper dir to the exact lower dirs
//     it was first mounted with and makes a remount with a changed or
//     re-created layer fail ("failed to verify upper root origin"); we
//     need neither hard-link preservation across copy-up nor NFS export.
//   - metacopy=off: a chmod or chown then copies the whole file up, so
//     upper/ is a self-contained diff (Usage and a later commit/checkpoint
//     read it as it is) and the kernel never follows metacopy or redirect
//     xattrs found in layers, which come from untrusted images.
//
// No userxattr: skiffd runs as real root and layers carry trusted.*
// whiteout and opaque xattrs.
//
// # Unmounting
//
// Unmount is idempotent and tolerates whatever a crash leaves: never
// mounted, half created, mounted with parts of upper/ or work/ already
// removed, or busy (a process still has a file open inside), in which case
// the mount is lazily detached. It never removes anything through a
// mounted rootfs/.
//
// The functions are safe for concurrent use on different directories;
// callers serialize Mount and Unmount of one directory.
package rootfs
