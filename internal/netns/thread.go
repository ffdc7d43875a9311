package netns

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// onThrowawayThread runs fn on a fresh goroutine locked to its OS thread
// and waits for it. The thread is never unlocked, so the runtime
// terminates it when fn returns (or parks it, if it is the main thread):
// whatever fn did to the thread's namespaces, no other goroutine sees it.
// fn should still restore the thread's network namespace (see the package
// comment). A panic in fn is re-raised in the caller.
func onThrowawayThread(fn func() error) error {
	type result struct {
		err   error
		panic any
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		// No UnlockOSThread, on purpose.
		defer func() {
			if p := recover(); p != nil {
				done <- result{panic: p}
			}
		}()
		done <- result{err: fn()}
	}()
	r := <-done
	if r.panic != nil {
		panic(r.panic)
	}
	return r.err
}

// inNetNS switches the current (locked) thread into the namespace open as
// target, runs fn and switches back. If switching back fails the thread
// stays where it is; onThrowawayThread disposes of it.
func inNetNS(target int, fn func() error) error {
	orig, err := os.Open(threadNetNS())
	if err != nil {
		return fmt.Errorf("netns: open current namespace: %w", err)
	}
	defer orig.Close()
	if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("netns: setns: %w", err)
	}
	ferr := fn()
	if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
		return errors.Join(ferr, fmt.Errorf("netns: restore namespace: %w", err))
	}
	return ferr
}

// threadNetNS is the nsfs path of the calling thread's network namespace.
func threadNetNS() string {
	return "/proc/self/task/" + strconv.Itoa(unix.Gettid()) + "/ns/net"
}

// create unshares a new network namespace on a throwaway thread, pins it
// on the existing file path and brings its loopback interface up.
func create(path string) error {
	return onThrowawayThread(func() error {
		orig, err := os.Open(threadNetNS())
		if err != nil {
			return fmt.Errorf("netns: open current namespace: %w", err)
		}
		defer orig.Close()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("netns: unshare: %w", classify(err))
		}
		err = pinAndSetUp(path)
		if rerr := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); rerr != nil {
			err = errors.Join(err, fmt.Errorf("netns: restore namespace: %w", rerr))
		}
		return err
	})
}

// pinAndSetUp runs inside the new namespace.
func pinAndSetUp(path string) error {
	if err := unix.Mount(threadNetNS(), path, "none", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("netns: bind mount onto %s: %w", path, classify(err))
	}
	// A handle made here opens its netlink socket in this namespace.
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("netns: netlink: %w", err)
	}
	defer h.Close()
	lo, err := h.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("netns: find lo: %w", err)
	}
	if err := h.LinkSetUp(lo); err != nil {
		return fmt.Errorf("netns: set lo up: %w", err)
	}
	return nil
}

// classify wraps permission errors in their class, so that running
// without CAP_SYS_ADMIN reads as such at the CRI edge.
func classify(err error) error {
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return fmt.Errorf("%w: %w", errdefs.ErrPermissionDenied, err)
	}
	return err
}
