package oci

import (
	"errors"
	"strings"
	"testing"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

func TestContainerSpecRejects(t *testing.T) {
	mount := func(m *runtime.Mount) func(*ContainerInput) {
		return func(in *ContainerInput) { in.Config.Mounts = []*runtime.Mount{m} }
	}
	tests := []struct {
		name  string
		edit  func(in *ContainerInput)
		class error
		msg   string
	}{
		{"no config", func(in *ContainerInput) { in.Config = nil }, errdefs.ErrInvalidArgument, "container config: config: missing"},
		{"no pod config", func(in *ContainerInput) { in.Sandbox.Config = nil }, errdefs.ErrInvalidArgument, "pod sandbox config: config: missing"},
		{"bad id", func(in *ContainerInput) { in.ID = "../x" }, errdefs.ErrInvalidArgument, `id "../x"`},
		{"relative rootfs", func(in *ContainerInput) { in.RootfsPath = "rootfs" }, errdefs.ErrInvalidArgument, "rootfs"},
		{"no command", func(in *ContainerInput) { in.Config.Command = nil }, errdefs.ErrInvalidArgument, "command: no command"},
		{"privileged in an unprivileged pod", func(in *ContainerInput) { secCtx(in).Privileged = true },
			errdefs.ErrInvalidArgument, "linux.security_context.privileged: a privileged container needs a privileged pod sandbox"},
		{"user namespace", func(in *ContainerInput) {
			secCtx(in).NamespaceOptions = &runtime.NamespaceOption{UsernsOptions: &runtime.UserNamespace{Mode: runtime.NamespaceMode_POD}}
		}, errdefs.ErrNotImplemented, "user namespaces are not supported yet"},
		{"user namespace of the pod", func(in *ContainerInput) {
			in.Sandbox.Config.Linux.SecurityContext.NamespaceOptions.UsernsOptions = &runtime.UserNamespace{Mode: runtime.NamespaceMode_POD}
		}, errdefs.ErrNotImplemented, "user namespaces are not supported yet"},
		{"user namespace mode CONTAINER", func(in *ContainerInput) {
			secCtx(in).NamespaceOptions = &runtime.NamespaceOption{UsernsOptions: &runtime.UserNamespace{Mode: runtime.NamespaceMode_CONTAINER}}
		}, errdefs.ErrInvalidArgument, "only POD and NODE"},
		{"apparmor localhost", func(in *ContainerInput) {
			secCtx(in).Apparmor = &runtime.SecurityProfile{ProfileType: runtime.SecurityProfile_Localhost, LocalhostRef: "k8s-nginx"}
		}, errdefs.ErrFailedPrecondition, `AppArmor profile "k8s-nginx" requested, but this host has no AppArmor`},
		{"legacy apparmor localhost", func(in *ContainerInput) { secCtx(in).ApparmorProfile = "localhost/k8s-nginx" },
			errdefs.ErrFailedPrecondition, "linux.security_context.apparmor_profile"},
		{"no pause process", func(in *ContainerInput) { in.Sandbox.PausePID = 0 }, errdefs.ErrFailedPrecondition, "no running pause process"},
		{"target without id", func(in *ContainerInput) {
			secCtx(in).NamespaceOptions = &runtime.NamespaceOption{Pid: runtime.NamespaceMode_TARGET}
		}, errdefs.ErrInvalidArgument, "target_id"},
		{"target not running", func(in *ContainerInput) {
			secCtx(in).NamespaceOptions = &runtime.NamespaceOption{Pid: runtime.NamespaceMode_TARGET, TargetId: "t"}
		}, errdefs.ErrFailedPrecondition, "target container t is not running"},
		{"systemd parent not a slice", func(in *ContainerInput) { in.CgroupManager = SystemdManager },
			errdefs.ErrInvalidArgument, "linux.cgroup_parent"},
		{"unknown cgroup manager", func(in *ContainerInput) { in.CgroupManager = "cgroupv3" }, errdefs.ErrInvalidArgument, "cgroup manager"},
		{"unified on cgroup v1", func(in *ContainerInput) {
			in.Config.Linux = &runtime.LinuxContainerConfig{Resources: &runtime.LinuxContainerResources{Unified: map[string]string{"memory.high": "1"}}}
		}, errdefs.ErrInvalidArgument, "linux.resources.unified"},
		{"bad hugepage size", func(in *ContainerInput) {
			in.Config.Linux = &runtime.LinuxContainerConfig{Resources: &runtime.LinuxContainerResources{HugepageLimits: []*runtime.HugepageLimit{{PageSize: "2M"}}}}
		}, errdefs.ErrInvalidArgument, "hugepage_limits"},
		{"negative memory", func(in *ContainerInput) {
			in.Config.Linux = &runtime.LinuxContainerConfig{Resources: &runtime.LinuxContainerResources{MemoryLimitInBytes: -1}}
		}, errdefs.ErrInvalidArgument, "memory_limit_in_bytes"},
		{"bad sysctl", func(in *ContainerInput) {
			in.Sandbox.Config.Linux.Sysctls = map[string]string{"vm.overcommit_memory": "1"}
		},
			errdefs.ErrInvalidArgument, `pod sandbox config: linux.sysctls: "vm.overcommit_memory" is not a namespaced sysctl`},
		{"relative mount destination", mount(&runtime.Mount{ContainerPath: "data", HostPath: "/data"}), errdefs.ErrInvalidArgument, "mounts[0].container_path"},
		{"relative mount source", mount(&runtime.Mount{ContainerPath: "/data", HostPath: "data"}), errdefs.ErrInvalidArgument, "mounts[0].host_path"},
		{"rro without readonly", mount(&runtime.Mount{ContainerPath: "/d", HostPath: "/d", RecursiveReadOnly: true}), errdefs.ErrInvalidArgument, "needs readonly"},
		{"rro with rslave", mount(&runtime.Mount{ContainerPath: "/d", HostPath: "/var/cache/app", Readonly: true, RecursiveReadOnly: true,
			Propagation: runtime.MountPropagation_PROPAGATION_HOST_TO_CONTAINER}), errdefs.ErrInvalidArgument, "needs PROPAGATION_PRIVATE"},
		{"rro on an old kernel", mount(&runtime.Mount{ContainerPath: "/d", HostPath: "/d", Readonly: true, RecursiveReadOnly: true}),
			errdefs.ErrFailedPrecondition, "Linux >= 5.12"},
		{"bidirectional on a private mount", mount(&runtime.Mount{ContainerPath: "/d", HostPath: "/d", Propagation: runtime.MountPropagation_PROPAGATION_BIDIRECTIONAL}),
			errdefs.ErrFailedPrecondition, "mounts[0].propagation"},
		{"rslave on a private mount", mount(&runtime.Mount{ContainerPath: "/d", HostPath: "/d", Propagation: runtime.MountPropagation_PROPAGATION_HOST_TO_CONTAINER}),
			errdefs.ErrFailedPrecondition, "mounts[0].propagation"},
		{"id-mapped mount", mount(&runtime.Mount{ContainerPath: "/d", HostPath: "/d", UidMappings: []*runtime.IDMapping{{Length: 1}}}),
			errdefs.ErrNotImplemented, "id-mapped mounts"},
		{"unsafe mount option", mount(&runtime.Mount{ContainerPath: "/d", HostPath: "/d", MountOptions: []string{"suid"}}), errdefs.ErrInvalidArgument, "mount_options"},
		{"mounted twice", func(in *ContainerInput) {
			in.Config.Mounts = []*runtime.Mount{{ContainerPath: "/d", HostPath: "/a"}, {ContainerPath: "/d/", HostPath: "/b"}}
		}, errdefs.ErrInvalidArgument, "mounts[1].container_path: /d is mounted twice"},
		{"missing device", func(in *ContainerInput) {
			in.Config.Devices = []*runtime.Device{{ContainerPath: "/dev/x", HostPath: "/dev/nope"}}
		}, errdefs.ErrInvalidArgument, "devices[0].host_path"},
		{"bad device permissions", func(in *ContainerInput) {
			in.Config.Devices = []*runtime.Device{{ContainerPath: "/dev/fuse", HostPath: "/dev/fuse", Permissions: "rwx"}}
		}, errdefs.ErrInvalidArgument, "devices[0].permissions"},
		{"CDI devices", func(in *ContainerInput) { in.Config.CDIDevices = []*runtime.CDIDevice{{Name: "vendor.com/gpu=0"}} },
			errdefs.ErrNotImplemented, "CDI devices"},
		{"bad masked path", func(in *ContainerInput) { secCtx(in).MaskedPaths = []string{"proc/kcore"} }, errdefs.ErrInvalidArgument, "masked_paths"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := minimalInput(t)
			tt.edit(&in)
			s, err := ContainerSpec(in)
			if !errors.Is(err, tt.class) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("ContainerSpec = %v, %v; want %v containing %q", s != nil, err, tt.class, tt.msg)
			}
		})
	}
}

func TestSandboxSpecRejects(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(in *SandboxInput)
		class error
		msg   string
	}{
		{"no config", func(in *SandboxInput) { in.Config = nil }, errdefs.ErrInvalidArgument, "config: missing"},
		{"no pause args", func(in *SandboxInput) { in.PauseArgs = nil }, errdefs.ErrInvalidArgument, "pause args"},
		{"no netns", func(in *SandboxInput) { in.NetNSPath = "" }, errdefs.ErrFailedPrecondition, "no network namespace"},
		{"user namespace", func(in *SandboxInput) {
			in.Config.Linux.SecurityContext.NamespaceOptions.UsernsOptions = &runtime.UserNamespace{Mode: runtime.NamespaceMode_POD}
		}, errdefs.ErrNotImplemented, "user namespaces are not supported yet"},
		{"apparmor localhost", func(in *SandboxInput) {
			in.Config.Linux.SecurityContext.Apparmor = &runtime.SecurityProfile{ProfileType: runtime.SecurityProfile_Localhost, LocalhostRef: "p"}
		}, errdefs.ErrFailedPrecondition, "this host has no AppArmor"},
		{"sysctl of the host network", func(in *SandboxInput) {
			in.Config.Linux.SecurityContext.NamespaceOptions.Network = runtime.NamespaceMode_NODE
			in.Config.Linux.Sysctls = map[string]string{"net.ipv4.ip_forward": "1"}
		}, errdefs.ErrInvalidArgument, "host network"},
		{"bad run_as_user", func(in *SandboxInput) { in.Config.Linux.SecurityContext.RunAsUser = &runtime.Int64Value{Value: -3} },
			errdefs.ErrInvalidArgument, "run_as_user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := sandboxInput()
			tt.edit(&in)
			if _, err := SandboxSpec(in); !errors.Is(err, tt.class) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("SandboxSpec: %v; want %v containing %q", err, tt.class, tt.msg)
			}
		})
	}
}
