package oci

import (
	"path/filepath"
	"testing"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// kitchenSink sets every option ContainerSpec knows.
func kitchenSink(t *testing.T, in *ContainerInput) {
	root, err := filepath.Abs("testdata/seccomp")
	if err != nil {
		t.Fatal(err)
	}
	in.ImageName = "registry.example/app:1.2"
	in.Image = ImageConfig{
		Env:        []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8", "A=from-image"},
		Entrypoint: []string{"/app"},
		Cmd:        []string{"--default"},
		WorkingDir: "/srv",
		User:       "nobody",
		StopSignal: "SIGQUIT",
	}
	in.SeccompProfileRoot = root
	in.MinOOMScoreAdj = -100
	in.TargetPID = 777
	in.CgroupManager = SystemdManager
	in.Sandbox.CgroupParent = "kubepods-burstable-pod0c5f8b4e.slice"
	in.Features = HostFeatures{CgroupV2: true, SwapAccounting: true, Hugetlb: true, RecursiveReadOnly: true}
	in.Sandbox.Config.Linux.Sysctls = map[string]string{
		"net.ipv4.ip_unprivileged_port_start": "0", "kernel.shm_rmid_forced": "1", "fs/mqueue/msg_max": "100",
	}

	c := in.Config
	c.Metadata = &runtime.ContainerMetadata{Name: "app", Attempt: 1}
	c.Image = &runtime.ImageSpec{Image: "sha256:0123abcd", UserSpecifiedImage: "app:1.2"}
	c.Command, c.Args = nil, []string{"--port", "8080"}
	c.Envs = []*runtime.KeyValue{{Key: "A", Value: []byte("1")}, {Key: "PATH", Value: []byte("/custom/bin:/usr/bin")}}
	c.Tty, c.Stdin, c.StdinOnce = true, true, true
	c.Labels = map[string]string{"io.kubernetes.container.name": "app"}
	c.Annotations = map[string]string{"owner": "team-a", AnnotationContainerType: "spoofed"}
	c.Mounts = []*runtime.Mount{
		{ContainerPath: "/data/cache", HostPath: "/var/cache/app", Propagation: runtime.MountPropagation_PROPAGATION_HOST_TO_CONTAINER},
		{ContainerPath: "/data", HostPath: "/var/lib/data", MountOptions: []string{"noexec", "nosuid"}},
		{ContainerPath: "/shared", HostPath: "/mnt/shared", Propagation: runtime.MountPropagation_PROPAGATION_BIDIRECTIONAL},
		{ContainerPath: "/config/", HostPath: "/etc/app", Readonly: true, SelinuxRelabel: true},
		{ContainerPath: "/secrets", HostPath: "/var/lib/secrets", Readonly: true, RecursiveReadOnly: true},
		{ContainerPath: "/etc/hosts", HostPath: "/var/lib/kubelet/pods/0c5f8b4e/etc-hosts"},
		{ContainerPath: "/models", Image: &runtime.ImageSpec{Image: "sha256:feed"}},
		{ContainerPath: "/var/run/link", HostPath: "/srv/link"},
	}
	c.Devices = []*runtime.Device{
		{ContainerPath: "/dev/fuse", HostPath: "/dev/fuse", Permissions: "rw"},
		{ContainerPath: "/dev/gpu", HostPath: "/dev/dri"},
	}
	c.Linux = &runtime.LinuxContainerConfig{
		Resources: &runtime.LinuxContainerResources{
			CpuPeriod: 100000, CpuQuota: 50000, CpuShares: 512,
			MemoryLimitInBytes: 256 << 20, MemorySwapLimitInBytes: 512 << 20, OomScoreAdj: -500,
			CpusetCpus: "0-1", CpusetMems: "0",
			HugepageLimits: []*runtime.HugepageLimit{{PageSize: "2MB", Limit: 0}, {PageSize: "1GB", Limit: 1 << 30}},
			Unified:        map[string]string{"memory.high": "200000000"},
		},
		SecurityContext: &runtime.LinuxContainerSecurityContext{
			Capabilities: &runtime.Capability{
				AddCapabilities:        []string{"NET_ADMIN", "sys_time"},
				DropCapabilities:       []string{"MKNOD", "CAP_NET_RAW"},
				AddAmbientCapabilities: []string{"NET_BIND_SERVICE"},
			},
			NamespaceOptions:   &runtime.NamespaceOption{Pid: runtime.NamespaceMode_TARGET, TargetId: "debuggee"},
			SelinuxOptions:     &runtime.SELinuxOption{Type: "spc_t"},
			RunAsUsername:      "app",
			RunAsGroup:         &runtime.Int64Value{Value: 2000},
			ReadonlyRootfs:     true,
			SupplementalGroups: []int64{3000},
			NoNewPrivs:         true,
			MaskedPaths:        []string{"/proc/kcore"},
			ReadonlyPaths:      []string{"/proc/sys"},
			Seccomp:            &runtime.SecurityProfile{ProfileType: runtime.SecurityProfile_Localhost, LocalhostRef: "profiles/audit.json"},
			Apparmor:           &runtime.SecurityProfile{ProfileType: runtime.SecurityProfile_RuntimeDefault},
		},
	}
}

// privileged is a privileged container in a privileged pod; the profiles
// and path lists it names are ignored.
func privileged(_ *testing.T, in *ContainerInput) {
	in.Sandbox.Config.Linux.SecurityContext.Privileged = true
	sc := secCtx(in)
	sc.Privileged = true
	sc.Seccomp = &runtime.SecurityProfile{ProfileType: runtime.SecurityProfile_Localhost, LocalhostRef: "/nonexistent.json"}
	sc.MaskedPaths = []string{"/proc/kcore"}
	sc.Capabilities = &runtime.Capability{DropCapabilities: []string{"ALL"}, AddAmbientCapabilities: []string{"SYS_ADMIN"}}
	in.Config.Devices = []*runtime.Device{{ContainerPath: "/dev/fuse0", HostPath: "/dev/fuse", Permissions: "r"}}
	in.Config.Mounts = []*runtime.Mount{{ContainerPath: "/dev", HostPath: "/dev"}}
}

// hostNamespaces is a container of a pod on the host's network, IPC and
// pid namespaces, with the RuntimeDefault profile named the old way.
func hostNamespaces(_ *testing.T, in *ContainerInput) {
	host := &runtime.NamespaceOption{
		Network: runtime.NamespaceMode_NODE, Pid: runtime.NamespaceMode_NODE, Ipc: runtime.NamespaceMode_NODE,
	}
	in.Sandbox.Config.Linux.SecurityContext.NamespaceOptions = host
	in.Sandbox.Config.Hostname = "node-1"
	in.Sandbox.NetNSPath, in.Sandbox.ShmPath, in.Sandbox.PausePID = "", "", 0
	in.Image.User = "1000:staff"
	sc := secCtx(in)
	sc.NamespaceOptions = host
	sc.SeccompProfilePath = "runtime/default"
	sc.ApparmorProfile = "unconfined"
	sc.SupplementalGroupsPolicy = runtime.SupplementalGroupsPolicy_Strict
}
