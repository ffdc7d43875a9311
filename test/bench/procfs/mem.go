package procfs

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// PSS returns the proportional set size of pid in bytes, from
// /proc/PID/smaps_rollup: the process's private pages plus its share of
// the pages it shares with others.
func PSS(pid int) (int64, error) {
	return rollupField(fmt.Sprintf("/proc/%d/smaps_rollup", pid), "Pss:")
}

// RSS returns the resident set size of pid in bytes (VmRSS in
// /proc/PID/status).
func RSS(pid int) (int64, error) {
	return rollupField(fmt.Sprintf("/proc/%d/status", pid), "VmRSS:")
}

// rollupField returns the "NAME: N kB" field of a /proc file in bytes.
func rollupField(path, name string) (int64, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) >= 2 && string(f[0]) == name {
			kb, err := strconv.ParseInt(string(f[1]), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s: %s: %w", path, name, err)
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("%s: no %s field", path, name)
}

// SumPSS returns the summed PSS of pids in bytes.
func SumPSS(pids []int) (int64, error) {
	var sum int64
	for _, pid := range pids {
		p, err := PSS(pid)
		if err != nil {
			return 0, err
		}
		sum += p
	}
	return sum, nil
}
