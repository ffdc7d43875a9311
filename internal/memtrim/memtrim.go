package memtrim

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Trim returns the free heap to the system and drops the executable's
// clean pages from the process (see the package doc). It returns how
// many bytes of the executable were dropped.
func Trim() (int64, error) {
	debug.FreeOSMemory()
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return 0, err
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	maps, err := cleanMappings(f, exe)
	if err != nil {
		return 0, err
	}
	var dropped int64
	for _, m := range maps {
		if _, _, e := unix.Syscall(unix.SYS_MADVISE, m.start, m.end-m.start, unix.MADV_DONTNEED); e != 0 {
			return dropped, fmt.Errorf("madvise %x-%x: %w", m.start, m.end, e)
		}
		dropped += m.rss
	}
	return dropped, nil
}

// mapping is one region of /proc/self/smaps.
type mapping struct {
	start, end uintptr
	perms      string
	path       string
	rss        int64 // bytes resident
	anon       int64 // bytes copied on write: changed from the file
}

// cleanMappings parses smaps and returns the mappings of path that are
// read-only and hold no anonymous page (a page copied on write, such as
// relocated data, which the file would not give back). Dirty page-cache
// pages are fine: the cache keeps them.
func cleanMappings(r io.Reader, path string) ([]mapping, error) {
	var out []mapping
	var cur *mapping
	flush := func() {
		if cur != nil && cur.path == path && !strings.Contains(cur.perms, "w") && cur.anon == 0 && cur.rss > 0 {
			out = append(out, *cur)
		}
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if m, ok := parseHeader(fields); ok {
			flush()
			cur = &m
			continue
		}
		if cur == nil || len(fields) < 2 {
			continue
		}
		kb, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			continue
		}
		switch fields[0] {
		case "Rss:":
			cur.rss = kb << 10
		case "Anonymous:":
			cur.anon = kb << 10
		}
	}
	flush()
	return out, sc.Err()
}

// parseHeader parses "start-end perms offset dev inode [path]".
func parseHeader(fields []string) (mapping, bool) {
	if len(fields) < 5 {
		return mapping{}, false
	}
	lo, hi, ok := strings.Cut(fields[0], "-")
	if !ok {
		return mapping{}, false
	}
	start, err1 := strconv.ParseUint(lo, 16, 64)
	end, err2 := strconv.ParseUint(hi, 16, 64)
	if err1 != nil || err2 != nil {
		return mapping{}, false
	}
	m := mapping{start: uintptr(start), end: uintptr(end), perms: fields[1]}
	if len(fields) >= 6 {
		m.path = fields[5]
	}
	return m, true
}
