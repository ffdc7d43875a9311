package oci

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// defaultDeviceRules is the device cgroup of an unprivileged container:
// nothing, except mknod of any node (useless without access) and the
// devices every container has: null, zero, full, random, urandom, tty,
// ptmx and its ptys.
func defaultDeviceRules() []specs.LinuxDeviceCgroup {
	rule := func(typ string, major, minor int64, access string) specs.LinuxDeviceCgroup {
		r := specs.LinuxDeviceCgroup{Allow: true, Type: typ, Access: access}
		if major >= 0 {
			r.Major = &major
		}
		if minor >= 0 {
			r.Minor = &minor
		}
		return r
	}
	return []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		rule("c", -1, -1, "m"),
		rule("b", -1, -1, "m"),
		rule("c", 1, 3, "rwm"),    // /dev/null
		rule("c", 1, 5, "rwm"),    // /dev/zero
		rule("c", 1, 7, "rwm"),    // /dev/full
		rule("c", 1, 8, "rwm"),    // /dev/random
		rule("c", 1, 9, "rwm"),    // /dev/urandom
		rule("c", 5, 0, "rwm"),    // /dev/tty
		rule("c", 5, 2, "rwm"),    // /dev/ptmx
		rule("c", 136, -1, "rwm"), // /dev/pts/*
	}
}

// privilegedDeviceRules lets a privileged container use every device.
func privilegedDeviceRules() []specs.LinuxDeviceCgroup {
	return []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}
}

// containerDevices returns the device nodes to create in the container
// and the device cgroup rules: the CRI devices (a directory stands for
// every node under it) with their permissions, and for a privileged
// container all host devices too, with access to everything.
func containerDevices(cfg *runtime.ContainerConfig, privileged bool, host Host) ([]specs.LinuxDevice, []specs.LinuxDeviceCgroup, error) {
	if len(cfg.GetCDIDevices()) > 0 {
		return nil, nil, classed(errdefs.ErrNotImplemented, containerScope, "cdi_devices", "CDI devices are not supported")
	}
	var devs []specs.LinuxDevice
	rules := defaultDeviceRules()
	if privileged {
		all, err := host.AllDevices()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: list host devices: %w: %w", containerScope, errdefs.ErrInternal, err)
		}
		devs, rules = all, privilegedDeviceRules()
	}
	for i, d := range cfg.GetDevices() {
		found, perms, err := criDevice(d, host, fmt.Sprintf("devices[%d]", i))
		if err != nil {
			return nil, nil, err
		}
		for _, n := range found {
			devs = setDevice(devs, n)
			if !privileged {
				major, minor := n.Major, n.Minor
				rules = append(rules, specs.LinuxDeviceCgroup{Allow: true, Type: n.Type, Major: &major, Minor: &minor, Access: perms})
			}
		}
	}
	return devs, rules, nil
}

// criDevice looks up one CRI device on the host and names its nodes as
// the container will see them.
func criDevice(d *runtime.Device, host Host, field string) ([]specs.LinuxDevice, string, error) {
	perms := d.GetPermissions()
	if perms == "" {
		perms = "rwm"
	}
	if !validPermissions(perms) {
		return nil, "", invalid(containerScope, field+".permissions", "%q is not made of r, w and m", perms)
	}
	hostPath, ctrPath := d.GetHostPath(), d.GetContainerPath()
	if !path.IsAbs(hostPath) {
		return nil, "", invalid(containerScope, field+".host_path", "%q is not an absolute path", hostPath)
	}
	if !path.IsAbs(ctrPath) {
		return nil, "", invalid(containerScope, field+".container_path", "%q is not an absolute path", ctrPath)
	}
	found, err := host.Devices(hostPath)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, ErrNotDevice):
		return nil, "", fmt.Errorf("%s: %s.host_path: %w: %w", containerScope, field, errdefs.ErrInvalidArgument, err)
	case err != nil:
		return nil, "", fmt.Errorf("%s: %s.host_path: %w: %w", containerScope, field, errdefs.ErrInternal, err)
	}
	for i := range found {
		found[i].Path = path.Clean(ctrPath + strings.TrimPrefix(found[i].Path, hostPath))
	}
	return found, perms, nil
}

// validPermissions reports whether p is a non-repeating mix of r, w, m.
func validPermissions(p string) bool {
	seen := map[rune]bool{}
	for _, c := range p {
		if !strings.ContainsRune("rwm", c) || seen[c] {
			return false
		}
		seen[c] = true
	}
	return p != ""
}

// setDevice adds d to devs, replacing a node at the same path.
func setDevice(devs []specs.LinuxDevice, d specs.LinuxDevice) []specs.LinuxDevice {
	for i := range devs {
		if devs[i].Path == d.Path {
			devs[i] = d
			return devs
		}
	}
	return append(devs, d)
}
