package procfs

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Proc is one process as the benchmark sees it.
type Proc struct {
	PID, PPID int
	Exe       string   // target of /proc/PID/exe, "" if unreadable
	Args      []string // its command line
}

// All returns every process that can be read; processes that exit while
// they are read are skipped.
func All() ([]Proc, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var out []Proc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		p, err := read(pid)
		if err != nil {
			continue
		}
		out = append(out, p)
	}
	return out, nil
}

func read(pid int) (Proc, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Proc{}, err
	}
	i := bytes.LastIndexByte(stat, ')')
	f := bytes.Fields(stat[i+1:])
	if i < 0 || len(f) < 2 {
		return Proc{}, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	ppid, err := strconv.Atoi(string(f[1]))
	if err != nil {
		return Proc{}, err
	}
	cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return Proc{}, err
	}
	exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	args := strings.Split(strings.TrimRight(string(cmd), "\x00"), "\x00")
	return Proc{PID: pid, PPID: ppid, Exe: exe, Args: args}, nil
}

// SameExe reports whether pid runs the executable file at path (the
// same inode, whatever name it was started under).
func SameExe(pid int, path string) bool {
	a, err := os.Stat(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	return err == nil && os.SameFile(a, b)
}

// Children returns the pids of procs whose parent is one of parents.
func Children(procs []Proc, parents []int) []Proc {
	set := map[int]bool{}
	for _, p := range parents {
		set[p] = true
	}
	var out []Proc
	for _, p := range procs {
		if set[p.PPID] {
			out = append(out, p)
		}
	}
	return out
}

// PIDs returns the pids of procs.
func PIDs(procs []Proc) []int {
	out := make([]int, len(procs))
	for i, p := range procs {
		out[i] = p.PID
	}
	return out
}
