package testimage

import (
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// LayeredRef is a single-platform OCI image of five layers for
// image-store tests: the busybox base, then
//
//	layer 2: /data/keep.txt, hard link /data/hard.txt to it, symlink
//	         /data/link -> keep.txt, /data/remove.txt, /data/replace.txt
//	         ("layer 2"), /data/script.sh (0755), /data/gone/file.txt,
//	         /data/opaque/old.txt, /data/opaque/sub/old.txt
//	(history only: ENV LAYERED=1, no layer)
//	layer 3: whiteouts /data/.wh.remove.txt and /data/.wh.gone, opaque
//	         marker /data/opaque/.wh..wh..opq with /data/opaque/new.txt,
//	         /data/replace.txt ("layer 3"), /data/added.txt
//	layer 4: /data/remove.txt again ("recreated by layer 4"),
//	         /etc/layered-release
//
// The merged root filesystem has LayeredFiles and LayeredSymlinks on top
// of busybox, and none of LayeredAbsent.
const LayeredRef = "docker.io/skiff/test/layered:latest"

// LayeredFiles are the regular files of LayeredRef's merged rootfs that
// the upper layers add, with their content.
var LayeredFiles = map[string]string{
	"/data/keep.txt":       "kept from layer 2\n",
	"/data/hard.txt":       "kept from layer 2\n",
	"/data/replace.txt":    "layer 3\n",
	"/data/remove.txt":     "recreated by layer 4\n",
	"/data/script.sh":      layeredScript,
	"/data/added.txt":      "added by layer 3\n",
	"/data/opaque/new.txt": "added by layer 3\n",
	"/etc/layered-release": "skiff layered test image\n",
}

// LayeredSymlinks are the symlinks of LayeredRef's merged rootfs that the
// upper layers add, with their targets.
var LayeredSymlinks = map[string]string{"/data/link": "keep.txt"}

// LayeredAbsent are paths that lower layers create and upper layers
// remove, so the merged rootfs must not have them; nor any whiteout.
var LayeredAbsent = []string{
	"/data/gone",
	"/data/gone/file.txt",
	"/data/opaque/old.txt",
	"/data/opaque/sub",
	"/data/opaque/sub/old.txt",
	"/data/.wh.remove.txt",
	"/data/.wh.gone",
	"/data/opaque/.wh..wh..opq",
}

const layeredScript = "#!/bin/sh\necho layered\n"

func layeredImages(b *builder) ([]Image, error) {
	return b.plain(layeredSpec(), LayeredRef)
}

func layeredSpec() imageSpec {
	return imageSpec{
		format: oci,
		config: v1.Config{
			Cmd:    []string{"sh"},
			Env:    []string{"PATH=" + DefaultPath, "LAYERED=1"},
			Labels: map[string]string{"org.skiffrt.test": "layered"},
		},
		layers: []layerSpec{
			{createdBy: "ADD data / # layer 2", entries: []entry{
				dir("data", 0o755),
				file("data/keep.txt", 0o644, "kept from layer 2\n"),
				hardlink("data/hard.txt", "data/keep.txt"),
				symlink("data/link", "keep.txt"),
				file("data/remove.txt", 0o644, "removed by layer 3\n"),
				file("data/replace.txt", 0o644, "layer 2\n"),
				file("data/script.sh", 0o755, layeredScript),
				dir("data/gone", 0o755),
				file("data/gone/file.txt", 0o644, "removed with its directory by layer 3\n"),
				dir("data/opaque", 0o755),
				file("data/opaque/old.txt", 0o644, "hidden by the opaque marker of layer 3\n"),
				dir("data/opaque/sub", 0o755),
				file("data/opaque/sub/old.txt", 0o644, "hidden too\n"),
			}},
			{createdBy: "ENV LAYERED=1"},
			{createdBy: "RUN rm -r /data/remove.txt /data/gone /data/opaque/* && echo ... # layer 3", entries: []entry{
				dir("data", 0o755),
				file("data/.wh.remove.txt", 0o644, ""),
				file("data/.wh.gone", 0o644, ""),
				dir("data/opaque", 0o755),
				file("data/opaque/.wh..wh..opq", 0o644, ""),
				file("data/opaque/new.txt", 0o644, "added by layer 3\n"),
				file("data/replace.txt", 0o644, "layer 3\n"),
				file("data/added.txt", 0o644, "added by layer 3\n"),
			}},
			{createdBy: "ADD . / # layer 4", entries: []entry{
				dir("data", 0o755),
				file("data/remove.txt", 0o644, "recreated by layer 4\n"),
				dir("etc", 0o755),
				file("etc/layered-release", 0o644, "skiff layered test image\n"),
			}},
		},
	}
}
