//go:build kubelet

package kubelet

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// sidecarLine matches a line of the web pod's sidecar, with the
// timestamp the kubelet adds on request.
var sidecarLine = regexp.MustCompile(`(?m)^(\S+ )?sidecar line (\d+) \.+$`)

// checkSidecarLogs reads the sidecar's numbered lines through the
// kubelet, which parses skiff's CRI log file, with and without the
// timestamps skiff wrote.
func (n *node) checkSidecarLogs(t *testing.T) {
	var logs string
	err := poll(20*time.Second, func() error {
		var err error
		logs, err = n.api.containerLogs(webPod, "logger", "tailLines=100")
		if err == nil && len(sidecarLine.FindAllString(logs, -1)) < 3 {
			err = fmt.Errorf("fewer than 3 lines yet")
		}
		return err
	})
	if err != nil {
		t.Fatalf("sidecar logs: %v: %q", err, logs)
	}
	if !strings.HasPrefix(logs, "sidecar line 1 ") {
		t.Errorf("sidecar log does not start at line 1: %q", logs)
	}
	stamped, err := n.api.containerLogs(webPod, "logger", "timestamps=true&tailLines=2")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range sidecarLine.FindAllStringSubmatch(stamped, -1) {
		ts, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(m[1]))
		if err != nil || time.Since(ts) > time.Minute || time.Since(ts) < 0 {
			t.Errorf("line %q: bad timestamp: %v", m[0], err)
		}
	}
}

// checkLogRotation waits for the kubelet to rotate the sidecar's log
// (containerLogMaxSize): it renames the file and asks skiffd to reopen
// it (ReopenContainerLog). The sidecar's lines must then go on in a new
// file, not into the renamed one.
func (n *node) checkLogRotation(t *testing.T, p *corev1.Pod) {
	dir := filepath.Join(n.dir, "pod-logs", fmt.Sprintf("default_%s_%s", webPod, p.UID), "logger")
	var rotated []string
	err := poll(90*time.Second, func() error {
		rotated, _ = filepath.Glob(filepath.Join(dir, "0.log.*"))
		if len(rotated) == 0 {
			return fmt.Errorf("no rotated log in %s", dir)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, n.kubelet.tail(20))
	}
	first, err := firstLine(filepath.Join(dir, "0.log"))
	if err != nil {
		t.Fatal(err)
	}
	if first <= 1 {
		t.Errorf("the current log starts at line %d: not a new file", first)
	}
	last := func() int {
		logs, _ := n.api.containerLogs(webPod, "logger", "tailLines=1")
		m := sidecarLine.FindStringSubmatch(logs)
		if m == nil {
			return 0
		}
		i, _ := strconv.Atoi(m[2])
		return i
	}
	before := last()
	err = poll(5*time.Second, func() error {
		if after := last(); after <= before {
			return fmt.Errorf("the log stays at line %d", after)
		}
		return nil
	})
	if err != nil {
		t.Errorf("after rotation (%v): %v", rotated, err)
	}
}

// firstLine returns the sidecar line number of the first line of a CRI
// log file.
func firstLine(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	m := regexp.MustCompile(`sidecar line (\d+) `).FindSubmatch(b)
	if m == nil {
		return 0, fmt.Errorf("%s: no sidecar line in %q", path, b)
	}
	return strconv.Atoi(string(m[1]))
}
