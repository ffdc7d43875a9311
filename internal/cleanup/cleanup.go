// Package cleanup is a LIFO undo list for multi-step creation: each step
// that succeeds adds its undo; a failure later runs them all, newest
// first; success releases them.
//
//	cu := cleanup.Make(ctx)
//	defer cu.Clean()
//	… step; cu.Add("remove netns", func(ctx context.Context) error { … })
//	cu.Release()
//
// Undos run on a context that outlives the caller's (a cancelled RPC still
// cleans up), bounded by Timeout. A Cleanup is used by one goroutine.
package cleanup

import (
	"context"
	"time"

	"github.com/skiffrt/skiff/internal/log"
)

// Timeout bounds all the undos of one Clean.
const Timeout = time.Minute

type undo struct {
	what string
	fn   func(context.Context) error
}

// Cleanup is a list of undos.
type Cleanup struct {
	ctx   context.Context
	undos []undo
}

// Make returns an empty list whose undos log through ctx's logger.
func Make(ctx context.Context) *Cleanup { return &Cleanup{ctx: ctx} }

// Add appends an undo, described by what for the log when it fails.
func (c *Cleanup) Add(what string, fn func(context.Context) error) {
	c.undos = append(c.undos, undo{what, fn})
}

// Release forgets the undos: the creation succeeded.
func (c *Cleanup) Release() { c.undos = nil }

// Clean runs the undos newest first, logging those that fail.
func (c *Cleanup) Clean() {
	if len(c.undos) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.ctx), Timeout)
	defer cancel()
	for i := len(c.undos) - 1; i >= 0; i-- {
		if err := c.undos[i].fn(ctx); err != nil {
			log.G(ctx).Warn("undo failed", "step", c.undos[i].what, log.KeyError, err)
		}
	}
	c.undos = nil
}
