// Package memtrim hands back memory a long-running process touched only
// while it started.
//
// A Go binary as large as `skiff server` (k8s.io/api, client-go, etcd,
// grpc) touches most of its 70 MB of code and read-only data while its
// packages initialise and its servers start, and those pages then count
// in its RSS although an idle server uses about a fifth of them. They
// are clean pages of the executable: the kernel can take them back at
// any time and page them in again from the file. Trim drops them from
// the process's page tables (madvise MADV_DONTNEED), so RSS shows what
// the process keeps using; what it touches again comes back by a minor
// fault from the page cache. It also returns the Go heap's free pages
// to the system (debug.FreeOSMemory).
//
// Only mappings of the executable that are neither writable nor changed
// from the file (no page copied on write, as relocated data would be)
// are dropped, so no content is ever lost.
package memtrim
