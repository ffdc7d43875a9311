package criu

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// checkTimeout bounds "criu check".
const checkTimeout = 30 * time.Second

// Checker runs "criu check" once and remembers the answer: the kernel
// and the criu binary do not change under a running skiffd.
type Checker struct {
	// Binary is the criu program; "" looks "criu" up in PATH.
	Binary string

	once sync.Once
	err  error
}

// Check returns nil when CRIU can checkpoint and restore here, else an
// errdefs.ErrFailedPrecondition error saying why, in CRIU's words.
func (c *Checker) Check(ctx context.Context) error {
	c.once.Do(func() { c.err = c.check(context.WithoutCancel(ctx)) })
	return c.err
}

func (c *Checker) check(ctx context.Context) error {
	bin := c.Binary
	if bin == "" {
		bin = "criu"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return fmt.Errorf("%w: CRIU is not installed (%v); build it with hack/criu.sh or set criu_path", errdefs.ErrFailedPrecondition, err)
	}
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, path, "check")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		var version bytes.Buffer
		v := exec.CommandContext(ctx, path, "--version")
		v.Stdout = &version
		_ = v.Run()
		return fmt.Errorf("%w: CRIU cannot run on this host: %s check: %s (%s); hack/criu.sh builds a newer one", errdefs.ErrFailedPrecondition,
			path, firstError(out.String(), err), strings.Join(strings.Fields(version.String()), " "))
	}
	return nil
}

// firstError is CRIU's first "Error" line, or err.
func firstError(out string, err error) string {
	for line := range strings.SplitSeq(out, "\n") {
		if strings.HasPrefix(line, "Error") {
			return strings.TrimSpace(line)
		}
	}
	if s := strings.TrimSpace(out); s != "" {
		return s
	}
	return err.Error()
}
