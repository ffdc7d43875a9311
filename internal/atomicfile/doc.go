// Package atomicfile replaces files whole: a reader sees the old content
// or the new one, never part of either, also after a crash.
//
// It keeps to the standard library: skiff-shim links it (the exit file).
package atomicfile
