// Package testimage builds, in memory and without network, the container
// images that skiff's tests pull: stand-ins for every image the CRI
// validation suite (critest, sigs.k8s.io/cri-tools v1.36.0) uses on Linux,
// plain busybox images, a multi-layer image with whiteouts and a
// multi-platform index.
//
// Every image is made from one static busybox binary (see hack/busybox.sh
// and BusyboxPath) plus small files: /bin/busybox, a hard link for each
// applet where `busybox --list-full` puts it, /etc/passwd and /etc/group
// as in the official busybox image, and per image the scripts, users and
// files that the original image's Dockerfile adds. Servers such as nginx
// and Apache httpd are shell scripts around busybox httpd that behave as
// far as critest looks (port, pid file, process name, log line).
//
// Builds are deterministic: fixed timestamps, fixed ownership, sorted
// entries, so a given busybox binary always yields the same digests (with
// the same Go version: layer digests depend on compress/gzip's output).
//
// All returns the full set; the package keeps no state and is safe for
// concurrent use.
package testimage
