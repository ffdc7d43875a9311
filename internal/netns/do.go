package netns

import (
	"fmt"
	"os"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// Do runs fn with its thread in the network namespace pinned at path: the
// sockets fn opens, the netlink requests it makes and the processes it
// starts with os/exec belong to that namespace. fn runs on a thread of its
// own that is discarded afterwards, so it costs a thread creation; it is
// meant for CNI helpers and tests, not hot paths.
//
// Goroutines that fn starts run on other threads, in skiffd's namespace.
// Do fails with errdefs.ErrNotFound if path is not a pinned network
// namespace.
func Do(path string, fn func() error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("netns: %w: %w", errdefs.ErrNotFound, err)
	}
	defer f.Close()
	if err := checkNetNS(int(f.Fd())); err != nil {
		return fmt.Errorf("netns: %s: %w: %w", path, errdefs.ErrNotFound, err)
	}
	return onThrowawayThread(func() error {
		return inNetNS(int(f.Fd()), fn)
	})
}
