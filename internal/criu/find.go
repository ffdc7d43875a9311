package criu

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// CacheDir is where hack/criu.sh keeps its builds, one directory
// criu-<Debian source version> each, holding the binary criu.
const CacheDir = "/var/cache/skiff"

// Find returns the criu binary to use when none is configured: the newest
// build cached under cacheDir, else criu as found in PATH, else "" (not
// installed). Debian 12's criu package fails on kernels from 6.13 on,
// which is why a cached build comes first.
func Find(cacheDir string) string {
	if p := newestCached(cacheDir); p != "" {
		return p
	}
	if p, err := exec.LookPath("criu"); err == nil {
		return p
	}
	return ""
}

// newestCached returns cacheDir/criu-<version>/criu of the highest
// version that is an executable file, or "".
func newestCached(cacheDir string) string {
	dirs, _ := filepath.Glob(filepath.Join(cacheDir, "criu-*"))
	slices.SortFunc(dirs, func(a, b string) int { return compareVersions(filepath.Base(b), filepath.Base(a)) })
	for _, d := range dirs {
		p := filepath.Join(d, "criu")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// compareVersions compares two version strings as sort -V does, for the
// versions found here: runs of digits compare as numbers, anything else
// byte by byte.
func compareVersions(a, b string) int {
	for a != "" && b != "" {
		na, ra := leadingRun(a)
		nb, rb := leadingRun(b)
		if c := compareRuns(na, nb); c != 0 {
			return c
		}
		a, b = ra, rb
	}
	return strings.Compare(a, b)
}

// leadingRun splits s after its first run of digits or of non-digits.
func leadingRun(s string) (run, rest string) {
	digit := isDigit(s[0])
	i := 1
	for i < len(s) && isDigit(s[i]) == digit {
		i++
	}
	return s[:i], s[i:]
}

func compareRuns(a, b string) int {
	if isDigit(a[0]) && isDigit(b[0]) {
		x, errA := strconv.ParseUint(a, 10, 64)
		y, errB := strconv.ParseUint(b, 10, 64)
		if errA == nil && errB == nil {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
	}
	return strings.Compare(a, b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
