package daemon

import (
	"context"
	"encoding/binary"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Reap makes this process the child subreaper of everything the daemons
// start and collects the orphans re-parented to it until ctx ends. Shims
// detach from their daemon and outlive a daemon restart; on a host whose
// init does not reap orphans they would otherwise stay as zombies.
//
// Only zombies are collected, and those of tracked children (the daemons,
// whose os/exec Wait reaps them) are left alone: waitid with WNOWAIT
// names a zombie without reaping it.
func Reap(ctx context.Context, tracked func(pid int) bool) error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return err
	}
	go func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				reapZombies(tracked)
			}
		}
	}()
	return nil
}

func reapZombies(tracked func(pid int) bool) {
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
		pid := siginfoPid(&info)
		if err != nil || pid == 0 || tracked(pid) {
			return
		}
		var ws unix.WaitStatus
		_, _ = unix.Wait4(pid, &ws, unix.WNOHANG, nil)
	}
}

// siginfoPid returns si_pid of a SIGCHLD siginfo: on Linux it is the
// first int32 after signo, errno, code and padding, at byte 16.
func siginfoPid(info *unix.Siginfo) int {
	b := (*[20]byte)(unsafe.Pointer(info))
	return int(int32(binary.NativeEndian.Uint32(b[16:20])))
}
