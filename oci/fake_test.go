package oci

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// fakeHost is a Host that touches nothing.
type fakeHost struct {
	links   map[string]string              // BindSource: symlink → target
	props   map[string]string              // Propagation by source; default "private"
	devices map[string][]specs.LinuxDevice // Devices by host path
	all     []specs.LinuxDevice            // AllDevices
	bound   []string                       // BindSource calls, in order
}

func (h *fakeHost) BindSource(p string) (string, error) {
	h.bound = append(h.bound, p)
	if t, ok := h.links[p]; ok {
		return t, nil
	}
	return p, nil
}

func (h *fakeHost) Propagation(p string) (string, error) {
	if v, ok := h.props[p]; ok {
		return v, nil
	}
	return "private", nil
}

func (h *fakeHost) Devices(p string) ([]specs.LinuxDevice, error) {
	d, ok := h.devices[p]
	if !ok {
		return nil, fmt.Errorf("%s: %w", p, fs.ErrNotExist)
	}
	return append([]specs.LinuxDevice{}, d...), nil
}

func (h *fakeHost) AllDevices() ([]specs.LinuxDevice, error) {
	return append([]specs.LinuxDevice{}, h.all...), nil
}

// ReadProfile reads real files, as the real host does: the profiles
// under testdata/seccomp.
func (h *fakeHost) ReadProfile(p, within string) ([]byte, error) {
	return osHost{}.ReadProfile(p, within)
}

// dev describes a device node as the fake host reports it.
func dev(path, typ string, major, minor int64) specs.LinuxDevice {
	mode, uid, gid := fs.FileMode(0o660), uint32(0), uint32(44)
	return specs.LinuxDevice{Path: path, Type: typ, Major: major, Minor: minor, FileMode: &mode, UID: &uid, GID: &gid}
}

func newFakeHost() *fakeHost {
	return &fakeHost{
		links: map[string]string{"/srv/link": "/srv/real"},
		props: map[string]string{"/var/cache/app": "slave", "/mnt/shared": "shared"},
		devices: map[string][]specs.LinuxDevice{
			"/dev/fuse": {dev("/dev/fuse", "c", 10, 229)},
			"/dev/dri":  {dev("/dev/dri/card0", "c", 226, 0), dev("/dev/dri/renderD128", "c", 226, 128)},
		},
		all: []specs.LinuxDevice{dev("/dev/null", "c", 1, 3), dev("/dev/sda", "b", 8, 0), dev("/dev/fuse", "c", 10, 229)},
	}
}

// testRootfs is the absolute path of the test image's rootfs.
func testRootfs(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("testdata/rootfs")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// podConfig is a plain pod's sandbox config.
func podConfig() *runtime.PodSandboxConfig {
	return &runtime.PodSandboxConfig{
		Metadata:     &runtime.PodSandboxMetadata{Name: "web", Namespace: "default", Uid: "0c5f8b4e", Attempt: 0},
		Hostname:     "web-0",
		LogDirectory: "/var/log/pods/default_web_0c5f8b4e",
		Annotations:  map[string]string{"kubernetes.io/config.source": "api"},
		Linux: &runtime.LinuxPodSandboxConfig{
			CgroupParent: "/kubepods/besteffort/pod0c5f8b4e",
			SecurityContext: &runtime.LinuxSandboxSecurityContext{
				NamespaceOptions: &runtime.NamespaceOption{Pid: runtime.NamespaceMode_CONTAINER},
			},
		},
	}
}

// minimalInput is the smallest valid container input: a pod with its own
// namespaces, a command, no security settings.
func minimalInput(t *testing.T) ContainerInput {
	return ContainerInput{
		ID: "c0ffee",
		Config: &runtime.ContainerConfig{
			Metadata: &runtime.ContainerMetadata{Name: "app"},
			Image:    &runtime.ImageSpec{Image: "docker.io/library/busybox:1.36"},
			Command:  []string{"sleep", "infinity"},
		},
		Sandbox: Sandbox{
			ID:             "5a4db0c5",
			Config:         podConfig(),
			NetNSPath:      "/run/skiff/netns/5a4db0c5",
			PausePID:       4242,
			CgroupParent:   "/kubepods/besteffort/pod0c5f8b4e",
			ResolvConfPath: "/var/lib/skiff/sandboxes/5a4db0c5/resolv.conf",
			HostsPath:      "/var/lib/skiff/sandboxes/5a4db0c5/hosts",
			HostnamePath:   "/var/lib/skiff/sandboxes/5a4db0c5/hostname",
			ShmPath:        "/run/skiff/sandboxes/5a4db0c5/shm",
		},
		RootfsPath:    testRootfs(t),
		CgroupManager: CgroupfsManager,
		Host:          newFakeHost(),
	}
}

// sandboxInput is a plain pod's pause container input.
func sandboxInput() SandboxInput {
	return SandboxInput{
		ID:             "5a4db0c5",
		Config:         podConfig(),
		RootfsPath:     "/var/lib/skiff/pause/rootfs",
		PauseArgs:      []string{"/skiff-pause"},
		NetNSPath:      "/run/skiff/netns/5a4db0c5",
		CgroupParent:   "/kubepods/besteffort/pod0c5f8b4e",
		CgroupManager:  CgroupfsManager,
		MinOOMScoreAdj: -999,
		ShmPath:        "/run/skiff/sandboxes/5a4db0c5/shm",
		ResolvConfPath: "/var/lib/skiff/sandboxes/5a4db0c5/resolv.conf",
		HostsPath:      "/var/lib/skiff/sandboxes/5a4db0c5/hosts",
		HostnamePath:   "/var/lib/skiff/sandboxes/5a4db0c5/hostname",
	}
}

// secCtx returns the container's security context, creating it.
func secCtx(in *ContainerInput) *runtime.LinuxContainerSecurityContext {
	if in.Config.Linux == nil {
		in.Config.Linux = &runtime.LinuxContainerConfig{}
	}
	if in.Config.Linux.SecurityContext == nil {
		in.Config.Linux.SecurityContext = &runtime.LinuxContainerSecurityContext{}
	}
	return in.Config.Linux.SecurityContext
}
