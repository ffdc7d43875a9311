package procfs

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of the times in /proc/PID/stat; it is
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// CPUTime returns the user plus system CPU time pid has used, its
// reaped children excluded.
func CPUTime(pid int) (time.Duration, error) {
	return statTimes(pid, 2) // utime, stime
}

// CPUTimeWithChildren is CPUTime plus the CPU time of the children pid
// has waited for (cutime and cstime): a daemon's plugin and helper
// processes.
func CPUTimeWithChildren(pid int) (time.Duration, error) {
	return statTimes(pid, 4) // utime, stime, cutime, cstime
}

// statTimes sums the first n of the time fields of /proc/PID/stat that
// start at utime (field 14).
func statTimes(pid, n int) (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces and parentheses: the
	// fields after it start after the last ')'.
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := bytes.Fields(raw[i+1:]) // f[0] is field 3, the state
	if len(f) < 11+n {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	var ticks int64
	for _, s := range f[11 : 11+n] {
		v, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += v
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// CPUSample is the machine's CPU time from the first line of /proc/stat,
// in ticks: all of it, and the part spent idle or waiting for I/O.
type CPUSample struct{ Total, Idle uint64 }

// ReadCPU samples /proc/stat.
func ReadCPU() (CPUSample, error) {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return CPUSample{}, err
	}
	line, _, _ := bytes.Cut(raw, []byte("\n"))
	return parseCPULine(string(line))
}

// parseCPULine reads "cpu user nice system idle iowait irq softirq steal
// guest guest_nice"; guest time is already counted in user and nice.
func parseCPULine(line string) (CPUSample, error) {
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return CPUSample{}, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	var s CPUSample
	for i, v := range f[1:9] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return CPUSample{}, fmt.Errorf("/proc/stat: %w", err)
		}
		s.Total += n
		if i == 3 || i == 4 { // idle, iowait
			s.Idle += n
		}
	}
	return s, nil
}

// Busy is the share of the CPU time between s and a later sample that
// was neither idle nor waiting for I/O, from 0 to 1.
func (s CPUSample) Busy(later CPUSample) float64 {
	total := later.Total - s.Total
	if total == 0 {
		return 0
	}
	return 1 - float64(later.Idle-s.Idle)/float64(total)
}
