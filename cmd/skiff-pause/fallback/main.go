// Command fallback is skiff-pause in Go, built as bin/skiff-pause where
// the C program (../pause.c, no libc, x86-64 system call stubs) does not
// build: on any architecture but x86-64. It behaves the same: it holds
// the pod's namespaces open by doing nothing, sleeps until SIGINT or
// SIGTERM, then exits 0, and as pid 1 of a shared PID namespace it reaps
// the orphans that are re-parented to it. It costs the Go runtime's
// floor, about 0.66 MB private memory per pod, where the C one has a few
// pages.
//
// It is linked statically so that skiffd can build a pause rootfs from
// this one file, with no image and no registry.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is set at link time.
var version = "dev"

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "-v" || os.Args[1] == "--version") {
		fmt.Printf("skiff-pause %s\n", version)
		return
	}
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "skiff-pause: warning: not running as pid 1")
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for sig := range sigs {
		if sig == syscall.SIGCHLD {
			reap()
			continue
		}
		os.Exit(0)
	}
}

// reap collects every exited child without blocking.
func reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
