// Package cri is the benchmark's CRI client: the same calls, made the same
// way, against every runtime under test. A pod here is what kubelet makes
// of a one-container pod: a sandbox, an image pull that finds the image
// cached, a container created and started, up until the container's
// first log line is on disk.
package cri
