// Package container runs a pod's containers: each on an overlay of its
// image's layers with a writable layer of its own, under its own
// skiff-shim, with its state kept in the store.
//
// Exits are learnt without polling: a goroutine per running container
// waits on its shim and records the exit; reads also pick up an exit file
// the shim wrote while skiffd was down.
package container
