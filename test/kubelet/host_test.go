//go:build kubelet

package kubelet

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// cgroupRoot is the kubelet's cgroupRoot: its kubepods tree lives below
// it, apart from any other kubelet's and easy to remove afterwards.
var cgroupRoot = fmt.Sprintf("/skiff-kubelet-%d", os.Getpid())

// kernelTunables are the sysctls a kubelet sets on start
// (pkg/kubelet/cm setupKernelTunables) unless protectKernelDefaults, which
// instead refuses to start when they differ, as they do on this host.
var kernelTunables = []string{
	"vm/overcommit_memory", "vm/panic_on_oom", "kernel/panic",
	"kernel/panic_on_oops", "kernel/keys/root_maxkeys", "kernel/keys/root_maxbytes",
}

// hardcodedDirs are host directories a kubelet uses whatever its
// configuration says: /var/log/containers, where it links every
// container's log (pkg/kubelet/kuberuntime legacyContainerLogsDir), and
// the device plugin directory holding its registration socket
// (k8s.io/kubelet/pkg/apis/deviceplugin DevicePluginPath).
var hardcodedDirs = []string{"/var/log/containers", "/var/lib/kubelet/device-plugins"}

// hostSetup prepares what the kubelet needs from the host and undoes it
// when the test ends: private, empty hardcodedDirs, so that this kubelet
// leaves nothing there and sees nothing another left; the cgroup root; and
// the host's sysctls back as they were.
func hostSetup(t *testing.T, dir string) {
	t.Helper()
	for i, d := range hardcodedDirs {
		privateDir(t, d, filepath.Join(dir, fmt.Sprintf("host-%d", i)))
	}
	saved := map[string][]byte{}
	for _, k := range kernelTunables {
		v, err := os.ReadFile(filepath.Join("/proc/sys", k))
		if err != nil {
			t.Fatal(err)
		}
		saved[k] = v
	}
	t.Cleanup(func() {
		for k, v := range saved {
			if err := os.WriteFile(filepath.Join("/proc/sys", k), v, 0o644); err != nil {
				t.Errorf("restore sysctl %s: %v", k, err)
			}
		}
	})

	dirs, err := cgroupV1Dirs()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, d := range dirs {
			if err := removeCgroupTree(d); err != nil {
				t.Errorf("leaked cgroups: %v", err)
			}
		}
	})
	for _, d := range dirs {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatalf("cgroup root: %v", err)
		}
	}
}

// privateDir bind-mounts the new empty directory private over the host's
// directory path until the test ends. It creates path if it is missing and
// then removes what it created.
func privateDir(t *testing.T, path, private string) {
	t.Helper()
	var created []string
	for d := path; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		created = append(created, d)
	}
	if err := os.MkdirAll(path, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(private, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount(private, path, "", syscall.MS_BIND, ""); err != nil {
		t.Fatalf("bind %s over %s: %v", private, path, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(path, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", path, err)
		}
		for _, d := range created { // innermost first
			if err := os.Remove(d); err != nil {
				t.Errorf("remove %s: %v", d, err)
			}
		}
	})
}

// cgroupV1Dirs returns cgroupRoot in each mounted cgroup v1 hierarchy
// (the kubelet requires it in all of them).
func cgroupV1Dirs() ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var dirs []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		// ... mountpoint ... - fstype source options
		fields := strings.Fields(s.Text())
		sep := slices.Index(fields, "-")
		if sep < 0 || sep+1 >= len(fields) || fields[sep+1] != "cgroup" {
			continue
		}
		dirs = append(dirs, filepath.Join(fields[4], cgroupRoot))
	}
	if len(dirs) == 0 {
		return nil, fmt.Errorf("no cgroup v1 hierarchy mounted: this test expects the cgroup v1 hosts skiff runs on here")
	}
	return dirs, s.Err()
}

// removeCgroupTree removes dir and the cgroups below it, deepest first.
// A cgroup that still has processes cannot go: that is a leak.
func removeCgroupTree(dir string) error {
	var all []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			all = append(all, p)
		}
		return err
	})
	if err != nil {
		return err
	}
	var left []string
	for _, p := range slices.Backward(all) {
		if err := os.Remove(p); err != nil {
			left = append(left, p)
		}
	}
	if len(left) > 0 {
		return fmt.Errorf("cannot remove %v", left)
	}
	return nil
}
