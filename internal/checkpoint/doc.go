// Package checkpoint writes and reads container checkpoint archives: the
// tar file that CheckpointContainer leaves at the location kubelet asks
// for, and that CreateContainer takes as its image to restore from.
//
// # Layout
//
// The archive is a plain tar, laid out as containerd's and cri-o's are,
// so that checkpointctl shows it and the tools of that ecosystem find
// their way in it:
//
//	checkpoint/       CRIU's images (libcontainer's Checkpoint)
//	config.dump       Config: ID, name, base image, runtime, times (JSON)
//	spec.dump         the OCI runtime spec the container ran with (JSON)
//	status.dump       the CRI ContainerStatus at checkpoint time (JSON)
//	rootfs-diff.tar   the writable layer as an OCI layer tar
//	deleted.files     JSON list of the image's paths the container removed
//	stats-dump        CRIU's dump statistics, when it wrote them
//	dump.log          CRIU's log of the dump
//	container.log     the CRI log up to the checkpoint, when there is one
//
// rootfs-diff.tar is made from the overlayfs upper directory: an overlay
// whiteout becomes an OCI whiteout file (".wh.<name>") and an opaque
// directory a ".wh..wh..opq" entry, as in an image layer; the removed
// paths are also listed in deleted.files, which is how cri-o and Podman
// record them. trusted.overlay.* xattrs are left out; other xattrs go in
// PAX records.
//
// # Reading
//
// Unpack extracts an archive into a directory of its own: only the names
// above, and only directories and regular files, created without
// following anything already there. Other entries (cri-o's and Podman's
// extras) are skipped. ApplyRootfs then writes rootfs-diff.tar, with
// deleted.files turned into whiteouts, into an empty overlayfs upper
// directory through internal/image/unpack, which confines every entry as
// it does for image layers. A diff compressed with gzip or zstd (as
// containerd writes it) is accepted too.
package checkpoint
