package oci

import (
	"testing"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

func TestPodSysctls(t *testing.T) {
	pod, hostNet, hostIPC := runtime.NamespaceMode_POD, runtime.NamespaceMode_NODE, runtime.NamespaceMode_NODE
	tests := []struct {
		name     string
		key      string
		net, ipc runtime.NamespaceMode
		ok       bool
	}{
		{"safe ipc", "kernel.shm_rmid_forced", pod, pod, true},
		{"mqueue", "fs.mqueue.msg_max", pod, pod, true},
		{"mqueue, slashes", "fs/mqueue/msg_max", pod, pod, true},
		{"sem", "kernel.sem", pod, pod, true},
		{"msg", "kernel.msgmax", pod, pod, true},
		{"net", "net.ipv4.ip_local_port_range", pod, pod, true},
		{"net, slashes with a dotted name", "net/ipv4/conf/eth0.100/forwarding", pod, pod, true},
		{"net with host ipc", "net.core.somaxconn", pod, hostIPC, true},
		{"ipc with host network", "kernel.shmmax", hostNet, pod, true},
		{"net with host network", "net.core.somaxconn", hostNet, pod, false},
		{"ipc with host ipc", "kernel.shm_rmid_forced", pod, hostIPC, false},
		{"mqueue with host ipc", "fs.mqueue.queues_max", pod, hostIPC, false},
		{"not namespaced", "vm.swappiness", pod, pod, false},
		{"kernel but not ipc", "kernel.pid_max", pod, pod, false},
		{"next_id runc refuses", "kernel.shm_next_id", pod, pod, false},
		{"hostname has its own field", "kernel.hostname", pod, pod, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &runtime.PodSandboxConfig{Linux: &runtime.LinuxPodSandboxConfig{
				Sysctls: map[string]string{tt.key: "1"},
				SecurityContext: &runtime.LinuxSandboxSecurityContext{
					NamespaceOptions: &runtime.NamespaceOption{Network: tt.net, Ipc: tt.ipc},
				},
			}}
			got, err := podSysctls(cfg)
			if tt.ok && (err != nil || got[tt.key] != "1") {
				t.Errorf("podSysctls = %v, %v; want it kept", got, err)
			}
			if !tt.ok && !errdefs.IsInvalidArgument(err) {
				t.Errorf("podSysctls = %v, %v; want InvalidArgument", got, err)
			}
		})
	}
}

func TestDottedSysctl(t *testing.T) {
	for in, want := range map[string]string{
		"net.ipv4.ip_forward":               "net.ipv4.ip_forward",
		"net/ipv4/ip_forward":               "net.ipv4.ip_forward",
		"net/ipv4/conf/eth0.100/forwarding": "net.ipv4.conf.eth0/100.forwarding",
		"net.ipv4.conf.eth0/100.forwarding": "net.ipv4.conf.eth0/100.forwarding",
	} {
		if got := dottedSysctl(in); got != want {
			t.Errorf("dottedSysctl(%q) = %q, want %q", in, got, want)
		}
	}
}
