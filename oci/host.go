package oci

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/moby/sys/mountinfo"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/hostpath"
)

// Host is what the spec builders read from, or prepare on, the host. The
// real one is used when an input's Host is nil; tests pass a fake.
type Host interface {
	// BindSource prepares the source of a CRI bind mount: it creates path as
	// a directory (0755) when nothing is there, as containerd does and
	// kubelet relies on, and returns it with symlinks resolved.
	BindSource(path string) (string, error)
	// Propagation reports the propagation of the mount that holds path,
	// or would hold it once created: "shared", "slave" or "private".
	Propagation(path string) (string, error)
	// Devices returns the device node at path, or every node under path
	// when it is a directory. Each LinuxDevice's Path is path followed by
	// the node's place under it; symlinks are followed. A path that is
	// neither a device nor a directory is an error wrapping ErrNotDevice.
	Devices(path string) ([]specs.LinuxDevice, error)
	// AllDevices returns the host's device nodes under /dev, for a
	// privileged container.
	AllDevices() ([]specs.LinuxDevice, error)
	// ReadProfile reads a Localhost seccomp profile: a regular file of at
	// most maxProfileBytes, which must not lead out of within (when not
	// empty) through a symlink. Anything else (a device, a fifo) is an
	// error wrapping ErrNotProfile.
	ReadProfile(path, within string) ([]byte, error)
}

// ErrNotDevice is what Host.Devices wraps for a path that is neither a
// device node nor a directory.
var ErrNotDevice = errors.New("not a device node")

// ErrNotProfile is what Host.ReadProfile wraps for a path that is no
// seccomp profile: not a regular file, too large, or out of its root.
var ErrNotProfile = errors.New("not a profile file")

// maxProfileBytes bounds a seccomp profile file; docker's default profile
// is under 20 KiB.
const maxProfileBytes = 1 << 20

// hostOrDefault returns h, or the real host when h is nil.
func hostOrDefault(h Host) Host {
	if h == nil {
		return osHost{}
	}
	return h
}

// osHost is the real host.
type osHost struct{}

func (osHost) BindSource(path string) (string, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(path, 0o755); err != nil {
			return "", err
		}
	} else if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(path)
}

func (osHost) Propagation(path string) (string, error) {
	path = hostpath.Resolve(path)
	mounts, err := mountinfo.GetMounts(mountinfo.ParentsFilter(path))
	if err != nil {
		return "", err
	}
	var holder *mountinfo.Info
	for _, m := range mounts {
		if holder == nil || len(m.Mountpoint) > len(holder.Mountpoint) {
			holder = m
		}
	}
	if holder == nil {
		return "", fmt.Errorf("%s: no mount holds it", path)
	}
	return propagationOf(holder.Optional), nil
}

// propagationOf reads a mountinfo line's optional fields.
func propagationOf(optional string) string {
	prop := "private"
	for _, f := range strings.Fields(optional) {
		switch {
		case strings.HasPrefix(f, "shared:"):
			return "shared"
		case strings.HasPrefix(f, "master:"):
			prop = "slave"
		}
	}
	return prop
}

func (osHost) Devices(path string) ([]specs.LinuxDevice, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(real)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		d, ok := deviceFromInfo(path, fi)
		if !ok {
			return nil, fmt.Errorf("%s: %w", path, ErrNotDevice)
		}
		return []specs.LinuxDevice{d}, nil
	}
	return walkDevices(real, path, nil)
}

func (osHost) AllDevices() ([]specs.LinuxDevice, error) {
	skip := map[string]bool{"pts": true, "shm": true, "fd": true, "mqueue": true, ".lxc": true, ".lxd-mounts": true, ".udev": true, "console": true}
	return walkDevices("/dev", "/dev", skip)
}

// walkDevices collects the device nodes under dir, naming each as it is
// seen under as; entries of dir itself named in skip are left out.
func walkDevices(dir, as string, skip map[string]bool) ([]specs.LinuxDevice, error) {
	var devs []specs.LinuxDevice
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return nil // a node that vanished or is unreadable is not offered
		}
		if filepath.Dir(p) == dir && skip[e.Name()] {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if e.Type()&(fs.ModeDevice|fs.ModeCharDevice) == 0 {
			return nil
		}
		fi, err := e.Info()
		if err != nil {
			return nil
		}
		if d, ok := deviceFromInfo(as+strings.TrimPrefix(p, dir), fi); ok {
			devs = append(devs, d)
		}
		return nil
	})
	return devs, err
}

// deviceFromInfo describes the device node fi as a LinuxDevice at path.
func deviceFromInfo(path string, fi fs.FileInfo) (specs.LinuxDevice, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return specs.LinuxDevice{}, false
	}
	var typ string
	switch {
	case fi.Mode()&fs.ModeCharDevice != 0:
		typ = "c"
	case fi.Mode()&fs.ModeDevice != 0:
		typ = "b"
	default:
		return specs.LinuxDevice{}, false
	}
	mode := fi.Mode().Perm()
	uid, gid := st.Uid, st.Gid
	return specs.LinuxDevice{
		Path:     path,
		Type:     typ,
		Major:    int64(unix.Major(uint64(st.Rdev))), //nolint:unconvert // Rdev's type differs between arches
		Minor:    int64(unix.Minor(uint64(st.Rdev))), //nolint:unconvert
		FileMode: &mode,
		UID:      &uid,
		GID:      &gid,
	}, true
}

func (osHost) ReadProfile(path, within string) ([]byte, error) {
	if within != "" && !hostpath.Within(path, within) {
		return nil, fmt.Errorf("%s leads out of %s: %w", path, within, ErrNotProfile)
	}
	// O_NONBLOCK: opening a fifo must not hang; it is refused below.
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > maxProfileBytes {
		return nil, fmt.Errorf("%s is not a regular file of at most %d bytes: %w", path, maxProfileBytes, ErrNotProfile)
	}
	return io.ReadAll(io.LimitReader(f, maxProfileBytes))
}
