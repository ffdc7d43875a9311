package monitor

import (
	"bytes"
	"log/slog"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// killChildren sends SIGKILL to the shim's children that run the binary
// at exe (a helper libcontainer started and waits for, such as criu).
// The container's own processes, the shim's children too as their
// subreaper, run other binaries.
func killChildren(exe string) {
	want, err := os.Stat(exe)
	if err != nil {
		return
	}
	for _, pid := range children(os.Getpid()) {
		got, err := os.Stat("/proc/" + strconv.Itoa(pid) + "/exe")
		if err != nil || !os.SameFile(want, got) {
			continue
		}
		slog.Warn("killing a helper", "pid", pid, "exe", exe)
		unix.Kill(pid, unix.SIGKILL)
	}
}

// children returns the pids whose parent is ppid, read from /proc.
func children(ppid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		if p, ok := parentOf(b); ok && p == ppid {
			pids = append(pids, pid)
		}
	}
	return pids
}

// parentOf reads the parent pid from /proc/PID/stat, "pid (comm) state
// ppid …"; comm may hold spaces and parentheses, so fields are counted
// from the last ')'.
func parentOf(stat []byte) (int, bool) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := bytes.Fields(stat[i+1:])
	if len(f) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(string(f[1]))
	return ppid, err == nil
}
