//go:build kubelet

package kubelet

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// kubeletConfig is the KubeletConfiguration of a standalone kubelet on
// skiffd on this kind of host (Debian 12 VM, no systemd, cgroup v1 hybrid,
// root without CAP_SYS_RESOURCE, / a private mount). Each setting that is
// not the kubelet's default is here for the reason next to it.
const kubeletConfig = `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# No API server: pods come from this directory, re-read every second
# (default 20s) so that the test sees manifest changes quickly.
staticPodPath: {{manifests}}
fileCheckFrequency: 1s
# The runtime under test.
containerRuntimeEndpoint: unix://{{socket}}
# kubelet's API on loopback only, on free ports. The secure port is the
# one with /containerLogs, /run, /exec and /runningpods; without an API
# server to review tokens, it takes anonymous requests and allows them all.
address: 127.0.0.1
port: {{port}}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: {{healthzPort}}
authentication:
  anonymous: {enabled: true}
  webhook: {enabled: false}
authorization: {mode: AlwaysAllow}
# No systemd here; skiffd reports cgroupfs too (RuntimeConfig), and the
# kubelet follows the runtime.
cgroupDriver: cgroupfs
# The kubepods tree under a cgroup of the test's own, made beforehand in
# every hierarchy and removed afterwards.
cgroupRoot: {{cgroupRoot}}
# kubelet >= 1.35 refuses cgroup v1 hosts unless told otherwise.
failCgroupV1: false
failSwapOn: false
# root here lacks CAP_SYS_RESOURCE: it can neither lower its oom_score_adj
# (default -999) nor raise RLIMIT_NOFILE past the hard limit (default
# 1000000). Keep both where they are.
oomScoreAdj: {{oomScoreAdj}}
maxOpenFiles: {{maxOpenFiles}}
# Rotate container logs at 2 KiB, checked every 3 s (the least allowed):
# the test sees a rotation, hence ReopenContainerLog, within a minute.
containerLogMaxSize: 2Ki
containerLogMaxFiles: 3
containerLogMonitorInterval: 3s
# Paths the kubelet would otherwise create on the host.
podLogsDir: {{dir}}/pod-logs
volumePluginDir: {{dir}}/volume-plugins
`

// startKubelet writes the configuration and starts the kubelet, then waits
// for its /healthz.
//
// Flags: --root-dir and --cert-dir (its self-signed serving certificate),
// because the defaults are under /var/lib/kubelet. Since / is a private
// mount here, the kubelet bind-mounts its root dir on itself and makes it
// shared (for mount propagation); teardown unmounts it.
// --hostname-override fixes the node name, hence the static pods' names.
//
// The kubelet also sets kernel tunables it wants (vm.overcommit_memory=1,
// kernel.panic=10, kernel.panic_on_oops=1); with protectKernelDefaults it
// would refuse to start instead. hostSetup puts the host's values back.
func (n *node) startKubelet() {
	t := n.t
	port, healthz := freePort(t), freePort(t)
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	oom, err := os.ReadFile("/proc/self/oom_score_adj")
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.NewReplacer(
		"{{manifests}}", n.manifest,
		"{{socket}}", n.socket(),
		"{{port}}", fmt.Sprint(port),
		"{{healthzPort}}", fmt.Sprint(healthz),
		"{{cgroupRoot}}", cgroupRoot,
		"{{oomScoreAdj}}", strings.TrimSpace(string(oom)),
		"{{maxOpenFiles}}", fmt.Sprint(lim.Max),
		"{{dir}}", n.dir,
	).Replace(kubeletConfig)
	cfgPath := filepath.Join(n.dir, "kubelet.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	rootDir := filepath.Join(n.dir, "kubelet")
	n.kubelet = n.launch("kubelet", "--config", cfgPath, "--root-dir", rootDir,
		"--cert-dir", filepath.Join(n.dir, "pki"), "--hostname-override", nodeName, "--v=2")
	t.Cleanup(func() {
		n.kubelet.stop(syscall.SIGTERM, 15*time.Second)
		if err := unmountUnder(rootDir); err != nil {
			t.Errorf("teardown: %v", err)
		}
	})
	n.api = newKubeletAPI(port)
	err = poll(30*time.Second, func() error {
		if n.kubelet.exited() {
			return fmt.Errorf("kubelet exited")
		}
		return n.api.healthz()
	})
	if err != nil {
		t.Fatalf("kubelet not healthy: %v\n%s", err, n.kubelet.tail(40))
	}
	// The kubelet ignores unknown configuration fields with an info line.
	if log, _ := os.ReadFile(n.kubelet.log); strings.Contains(string(log), "strict decoding error") {
		t.Fatalf("the kubelet did not take all of its configuration:\n%s", n.kubelet.tail(40))
	}
}

// unmountUnder unmounts every mount at or below dir, deepest first.
func unmountUnder(dir string) error {
	for {
		mounts, err := mountsUnder(dir)
		if err != nil || len(mounts) == 0 {
			return err
		}
		if err := syscall.Unmount(mounts[len(mounts)-1], syscall.MNT_DETACH); err != nil {
			return fmt.Errorf("unmount %s: %w", mounts[len(mounts)-1], err)
		}
	}
}
