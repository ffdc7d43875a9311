// Package keylock serialises operations per object: one readers-writer
// lock per key (a pod or container ID), made on first use and dropped as
// soon as nobody holds or waits for it, so that a daemon running for
// months keeps no lock per object it ever saw.
//
// Waiting honours the context, and a writer queued behind readers holds
// back readers that come after it, so neither side starves.
package keylock
