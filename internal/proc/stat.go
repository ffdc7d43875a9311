package proc

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// ID names one process: its pid and its start time.
type ID struct {
	PID       int    `json:"pid"`
	StartTime uint64 `json:"startTime"` // clock ticks after boot, /proc/PID/stat field 22
}

func (id ID) String() string { return fmt.Sprintf("%d (start time %d)", id.PID, id.StartTime) }

// Stat reads the start time and the state letter (R, S, Z…) of pid from
// /proc/PID/stat. A pid that does not exist gives an error satisfying
// errors.Is(err, os.ErrNotExist).
func Stat(pid int) (startTime uint64, state byte, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	return parseStat(b)
}

// parseStat parses /proc/PID/stat: "pid (comm) state ppid … starttime …".
// comm may hold spaces and parentheses, so the fields are counted from
// the last ')'.
func parseStat(b []byte) (startTime uint64, state byte, err error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("proc stat: no command name in %q", b)
	}
	f := bytes.Fields(b[i+1:]) // f[0] is field 3, state
	const startTimeField = 22
	if len(f) < startTimeField-2 || len(f[0]) != 1 {
		return 0, 0, fmt.Errorf("proc stat: %d fields after the command name", len(f))
	}
	startTime, err = strconv.ParseUint(string(f[startTimeField-3]), 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("proc stat: start time: %w", err)
	}
	return startTime, f[0][0], nil
}

// Alive reports whether id's process exists and has not exited: the pid
// is there, with the same start time, and is not a zombie.
func (id ID) Alive() bool {
	if id.PID <= 0 {
		return false
	}
	start, state, err := Stat(id.PID)
	return err == nil && start == id.StartTime && !exited(state)
}

// exited reports whether a process in state has exited: a zombie (Z), or
// dead (X).
func exited(state byte) bool { return state == 'Z' || state == 'X' }
