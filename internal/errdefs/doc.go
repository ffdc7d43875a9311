// Package errdefs defines the classes of error that skiff's packages return
// and turns them into gRPC status codes at the edge.
//
// Domain code wraps one of the sentinels below with %w and never builds a
// gRPC status itself; the CRI server's interceptor calls ToGRPC exactly once
// per RPC. A class is tested with errors.Is, never by matching text.
package errdefs
