package node

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
)

// Host reads the host's facts: CPUs, memory, the storage under root, the
// kernel and OS, the machine's IDs.
func Host(root string) (cpus, memory, storage int64, info corev1.NodeSystemInfo, err error) {
	memory, err = memTotal()
	if err != nil {
		return 0, 0, 0, info, err
	}
	var st unix.Statfs_t
	if err := unix.Statfs(root, &st); err == nil {
		storage = int64(st.Blocks) * st.Bsize
	}
	var u unix.Utsname
	_ = unix.Uname(&u)
	info = corev1.NodeSystemInfo{
		MachineID:       readTrim("/etc/machine-id"),
		SystemUUID:      strings.ToLower(readTrim("/sys/class/dmi/id/product_uuid")),
		BootID:          readTrim("/proc/sys/kernel/random/boot_id"),
		KernelVersion:   unix.ByteSliceToString(u.Release[:]),
		OSImage:         osImage(),
		OperatingSystem: runtime.GOOS,
		Architecture:    runtime.GOARCH,
	}
	return int64(runtime.NumCPU()), memory, storage, info, nil
}

func memTotal() (int64, error) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no MemTotal in /proc/meminfo")
}

func readTrim(path string) string {
	b, _ := os.ReadFile(path)
	return strings.TrimSpace(string(b))
}

// osImage is PRETTY_NAME of /etc/os-release.
func osImage() string {
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return "Linux"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return "Linux"
}

// Addresses are the node's InternalIP (ip, or the address of the
// interface of the default route) and its Hostname.
func Addresses(ip, hostname string) ([]corev1.NodeAddress, error) {
	if ip == "" {
		var err error
		if ip, err = OutboundIP(); err != nil {
			return nil, fmt.Errorf("no node IP: set one (%w)", err)
		}
	}
	if net.ParseIP(ip) == nil {
		return nil, fmt.Errorf("node IP %q is not an IP address", ip)
	}
	return []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}, {Type: corev1.NodeHostName, Address: hostname}}, nil
}

// OutboundIP is the source address the kernel picks for the default
// route (no packet is sent).
func OutboundIP() (string, error) {
	c, err := net.Dial("udp", "192.0.2.1:9")
	if err != nil {
		return "", err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).IP.String(), nil
}
