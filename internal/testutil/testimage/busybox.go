package testimage

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// BusyboxEnv names the environment variable that, when set, is the path
// of the static busybox binary, and hack/busybox.sh is not run.
const BusyboxEnv = "SKIFF_BUSYBOX"

// BusyboxPath returns the path of the static busybox binary the images are
// built from: $SKIFF_BUSYBOX if set, else the path hack/busybox.sh prints.
// The script is found above the working directory or, failing that, in
// the source tree this package was compiled from. On a cold cache the
// script builds busybox, which takes minutes and needs root and apt.
func BusyboxPath() (string, error) {
	if p := os.Getenv(BusyboxEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s: %w", BusyboxEnv, err)
		}
		return p, nil
	}
	script, err := findScript()
	if err != nil {
		return "", err
	}
	var stderr bytes.Buffer
	cmd := exec.Command("bash", script)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s: %w: %s", script, err, lastLines(stderr.String(), 20))
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	p := lines[len(lines)-1]
	if !filepath.IsAbs(p) {
		return "", fmt.Errorf("%s printed %q, not a path", script, p)
	}
	return p, nil
}

// findScript looks for hack/busybox.sh in the working directory and its
// parents, then next to this source file.
func findScript() (string, error) {
	const rel = "hack/busybox.sh"
	var dirs []string
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			dirs = append(dirs, d)
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if _, src, _, ok := runtime.Caller(0); ok {
		// internal/testutil/testimage/busybox.go -> module root
		dirs = append(dirs, filepath.Join(filepath.Dir(src), "..", "..", ".."))
	}
	for _, d := range dirs {
		p := filepath.Join(d, rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("hack/busybox.sh not found: run from the skiff checkout or set " + BusyboxEnv)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
