//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestVersion(t *testing.T) {
	d := startDaemon(t)
	v, err := d.runtime.Version(ctxT(t), &runtime.VersionRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if v.RuntimeName != "skiff" || v.RuntimeApiVersion != "v1" || v.Version != "0.1.0" || v.RuntimeVersion == "" {
		t.Errorf("Version = %+v", v)
	}
}

func TestStatus(t *testing.T) {
	d := startDaemon(t)
	st, err := d.runtime.Status(ctxT(t), &runtime.StatusRequest{Verbose: true})
	if err != nil {
		t.Fatal(err)
	}
	conds := map[string]*runtime.RuntimeCondition{}
	for _, c := range st.Status.Conditions {
		conds[c.Type] = c
	}
	if c := conds[runtime.RuntimeReady]; c == nil || !c.Status {
		t.Errorf("RuntimeReady = %+v, want true", c)
	}
	// No config in /etc/cni/net.d here: skiff's default bridge network,
	// with Debian's plugins.
	if c := conds[runtime.NetworkReady]; c == nil || !c.Status {
		t.Errorf("NetworkReady = %+v, want true", c)
	}
	var cfg map[string]any
	if err := json.Unmarshal([]byte(st.Info["config"]), &cfg); err != nil {
		t.Fatalf("verbose info config %q: %v", st.Info["config"], err)
	}
	if cfg["root"] != d.dir+"/root" {
		t.Errorf("verbose config root = %v, want %s", cfg["root"], d.dir+"/root")
	}
}

func TestStatusNetworkNotReadyWithoutPlugins(t *testing.T) {
	dir := newDaemonDir(t) // its conf_dir is empty: the default network
	noPlugins := "[cni]\nbin_dirs = [\"/nonexistent/cni\"]\n"
	if err := os.MkdirAll(filepath.Join(dir, "skiff.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "skiff.d", "50-no-plugins.toml"), []byte(noPlugins), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startDaemonIn(t, dir, daemonArgs)
	st, err := d.runtime.Status(ctxT(t), &runtime.StatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range st.Status.Conditions {
		if c.Type == runtime.NetworkReady && (c.Status || c.Reason != "NetworkPluginNotReady" || !strings.Contains(c.Message, "bridge")) {
			t.Errorf("NetworkReady = %+v, want false, NetworkPluginNotReady, naming the missing plugin", c)
		}
	}
}

func TestStatusRuntimeNotReadyWithoutShim(t *testing.T) {
	d := startDaemon(t, "--shim-path", "/nonexistent/skiff-shim")
	st, err := d.runtime.Status(ctxT(t), &runtime.StatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range st.Status.Conditions {
		if c.Type == runtime.RuntimeReady && (c.Status || c.Reason != "ShimNotExecutable") {
			t.Errorf("RuntimeReady = %+v, want false, ShimNotExecutable", c)
		}
	}
}

func TestRuntimeConfig(t *testing.T) {
	hostDriver := runtime.CgroupDriver_CGROUPFS
	if fi, err := os.Stat("/run/systemd/system"); err == nil && fi.IsDir() {
		hostDriver = runtime.CgroupDriver_SYSTEMD
	}
	tests := []struct {
		name string
		args []string
		want runtime.CgroupDriver
	}{
		{"default follows the host's init", nil, hostDriver},
		{"cgroupfs", []string{"--cgroup-manager", "cgroupfs"}, runtime.CgroupDriver_CGROUPFS},
		{"systemd", []string{"--cgroup-manager", "systemd"}, runtime.CgroupDriver_SYSTEMD},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := startDaemon(t, tt.args...)
			rc, err := d.runtime.RuntimeConfig(ctxT(t), &runtime.RuntimeConfigRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if got := rc.GetLinux().GetCgroupDriver(); got != tt.want {
				t.Errorf("cgroup driver = %v, want %v", got, tt.want)
			}
		})
	}
}
