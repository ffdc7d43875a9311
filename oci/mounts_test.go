package oci

import (
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func destinations(ms []specs.Mount) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Destination)
	}
	return out
}

func TestMergeMounts(t *testing.T) {
	defaults := append(kernelMounts(false), shmMount(""), cgroupMount(false))
	extra := podFileMounts(map[string]string{"/etc/hosts": "/h", "/etc/hostname": "/n", "/etc/resolv.conf": ""}, false)
	bind := func(dst string) specs.Mount { return specs.Mount{Destination: dst, Type: "bind", Source: "/src" + dst} }
	tests := []struct {
		name string
		cri  []specs.Mount
		want []string
	}{
		{"defaults and pod files", nil, []string{
			"/proc", "/dev", "/dev/pts", "/dev/mqueue", "/sys", "/dev/shm", "/sys/fs/cgroup", "/etc/hostname", "/etc/hosts"}},
		{"CRI mounts sorted by depth, over pod files", spec{"/a/b/c", "/etc", "/a"}.mounts(bind), []string{
			"/proc", "/dev", "/dev/pts", "/dev/mqueue", "/sys", "/dev/shm", "/sys/fs/cgroup",
			"/etc", "/a", "/etc/hostname", "/etc/hosts", "/a/b/c"}},
		{"CRI replaces a default and a pod file", spec{"/dev/shm", "/etc/hosts"}.mounts(bind), []string{
			"/proc", "/dev", "/dev/pts", "/dev/mqueue", "/sys", "/sys/fs/cgroup", "/etc/hostname", "/dev/shm", "/etc/hosts"}},
		{"CRI /dev takes everything under it", spec{"/dev"}.mounts(bind), []string{
			"/proc", "/sys", "/sys/fs/cgroup", "/dev", "/etc/hostname", "/etc/hosts"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := destinations(mergeMounts(defaults, extra, tt.cri)); !slices.Equal(got, tt.want) {
				t.Errorf("mounts = %v\nwant %v", got, tt.want)
			}
		})
	}
}

type spec []string

func (s spec) mounts(f func(string) specs.Mount) []specs.Mount {
	var out []specs.Mount
	for _, d := range s {
		out = append(out, f(d))
	}
	return out
}

func TestCRIMountOptions(t *testing.T) {
	host := newFakeHost()
	f := HostFeatures{RecursiveReadOnly: true}
	tests := []struct {
		name string
		m    *runtime.Mount
		opts []string
		root string
	}{
		{"private rw", &runtime.Mount{ContainerPath: "/d", HostPath: "/d"}, []string{"rbind", "rprivate", "rw"}, ""},
		{"readonly", &runtime.Mount{ContainerPath: "/d", HostPath: "/d", Readonly: true}, []string{"rbind", "rprivate", "ro"}, ""},
		{"recursive readonly", &runtime.Mount{ContainerPath: "/d", HostPath: "/d", Readonly: true, RecursiveReadOnly: true}, []string{"rbind", "rprivate", "rro"}, ""},
		{"host to container", &runtime.Mount{ContainerPath: "/d", HostPath: "/var/cache/app", Propagation: runtime.MountPropagation_PROPAGATION_HOST_TO_CONTAINER}, []string{"rbind", "rslave", "rw"}, "rslave"},
		{"bidirectional", &runtime.Mount{ContainerPath: "/d", HostPath: "/mnt/shared", Propagation: runtime.MountPropagation_PROPAGATION_BIDIRECTIONAL}, []string{"rbind", "rshared", "rw"}, "rshared"},
		{"extra options", &runtime.Mount{ContainerPath: "/d", HostPath: "/d", MountOptions: []string{"nodev", "noexec", "nodev"}}, []string{"rbind", "rprivate", "rw", "nodev", "noexec"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, root, err := criMounts([]*runtime.Mount{tt.m}, host, f)
			if err != nil || len(ms) != 1 || !slices.Equal(ms[0].Options, tt.opts) || root != tt.root {
				t.Errorf("criMounts = %+v, %q, %v; want options %v root %q", ms, root, err, tt.opts, tt.root)
			}
		})
	}
	both := []*runtime.Mount{
		{ContainerPath: "/s", HostPath: "/mnt/shared", Propagation: runtime.MountPropagation_PROPAGATION_BIDIRECTIONAL},
		{ContainerPath: "/c", HostPath: "/var/cache/app", Propagation: runtime.MountPropagation_PROPAGATION_HOST_TO_CONTAINER},
	}
	if _, root, err := criMounts(both, host, f); err != nil || root != "rshared" {
		t.Errorf("rshared and rslave mounts: root propagation %q, %v; want rshared", root, err)
	}
}

func TestCRIMountSources(t *testing.T) {
	host := newFakeHost()
	ms, _, err := criMounts([]*runtime.Mount{
		{ContainerPath: "/link", HostPath: "/srv/link"},
		{ContainerPath: "/img", Image: &runtime.ImageSpec{Image: "sha256:feed"}},
	}, host, HostFeatures{})
	if err != nil || len(ms) != 1 || ms[0].Source != "/srv/real" {
		t.Errorf("mounts = %+v, %v; want only the bind, from the link's target", ms, err)
	}
	if !slices.Equal(host.bound, []string{"/srv/link"}) {
		t.Errorf("BindSource calls = %v", host.bound)
	}
}

func TestCRIMountsCheckBeforeTouchingTheHost(t *testing.T) {
	host := newFakeHost()
	_, _, err := criMounts([]*runtime.Mount{
		{ContainerPath: "/ok", HostPath: "/new/dir"},
		{ContainerPath: "/bad", HostPath: "/other/new/dir", RecursiveReadOnly: true},
	}, host, HostFeatures{RecursiveReadOnly: true})
	if err == nil || slices.Contains(host.bound, "/other/new/dir") {
		t.Errorf("err %v, BindSource calls %v: the invalid mount's source was prepared", err, host.bound)
	}
}
