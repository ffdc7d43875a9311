// Package server answers the CRI v1 RuntimeService and ImageService.
//
// It translates only: each handler validates its request, turns CRI types
// into calls on one domain package and the result back into CRI types.
// It makes no syscalls. Errors are returned as errdefs classes; the
// interceptors in this package turn them into gRPC codes, log each call
// and record its metrics, in one place.
//
// One file per RPC family, named <object>_<verb>.go. RPCs whose issue has
// not landed yet answer codes.Unimplemented through the embedded
// Unimplemented servers.
package server
