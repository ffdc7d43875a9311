// Package testregistry serves test images from an in-process, in-memory
// OCI registry (go-containerregistry's pkg/registry) over plain HTTP on a
// loopback address.
//
// An image named HOST/REPO:TAG is stored as REPO:TAG, without its
// registry host: registry.k8s.io/e2e-test-images/busybox:1.29-2 becomes
// e2e-test-images/busybox:1.29-2 and docker.io/library/busybox:latest
// becomes library/busybox:latest. A runtime whose registry mirrors send
// docker.io, registry.k8s.io, k8s.gcr.io, gcr.io and public.ecr.aws to
// http://ADDR therefore resolves every original name against it. Start
// refuses a set of images in which two names map to the same REPO:TAG
// with different content.
package testregistry
