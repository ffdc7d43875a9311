package rootfs

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// mountLegacy mounts the overlay with mount(2) and an option string, which
// the kernel copies in at most one page (NUL included).
func mountLegacy(lower []string, upper, work, target string) error {
	for i, l := range lower {
		if strings.ContainsAny(l, ",:") {
			return fmt.Errorf("rootfs: layer %d: %q contains ',' or ':', which mount(2) options cannot carry: %w", i, l, errdefs.ErrInvalidArgument)
		}
	}
	if strings.ContainsAny(upper, ",:") || strings.ContainsAny(work, ",:") {
		return fmt.Errorf("rootfs: %q contains ',' or ':', which mount(2) options cannot carry: %w", upper, errdefs.ErrInvalidArgument)
	}
	var b strings.Builder
	for _, o := range options {
		b.WriteString(o[0] + "=" + o[1] + ",")
	}
	b.WriteString("lowerdir=" + strings.Join(lower, ":") + ",upperdir=" + upper + ",workdir=" + work)
	opts := b.String()
	if limit := unix.Getpagesize() - 1; len(opts) > limit {
		return fmt.Errorf("rootfs: overlay options for %d layers are %d bytes, over mount(2)'s limit of %d, and the kernel lacks fsconfig \"lowerdir+\" (needs Linux 6.8): %w",
			len(lower), len(opts), limit, errdefs.ErrFailedPrecondition)
	}
	if err := unix.Mount("overlay", target, "overlay", 0, opts); err != nil {
		return fmt.Errorf("rootfs: mount overlay on %s: %w", target, err)
	}
	return nil
}
