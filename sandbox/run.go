package sandbox

import (
	"context"
	"fmt"
	"os"
	"time"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/cleanup"
	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/store"
	"github.com/skiffrt/skiff/oci"
	"github.com/skiffrt/skiff/sandbox/podfiles"
)

// Run creates and starts a pod sandbox and returns its ID. A failure
// undoes every step.
func (m *Manager) Run(ctx context.Context, cfg *runtime.PodSandboxConfig, handler string) (string, error) {
	name, err := Name(cfg.GetMetadata())
	if err != nil {
		return "", err
	}
	if err := oci.CheckSandboxConfig(cfg); err != nil {
		return "", err
	}
	if err := podfiles.Check(cfg); err != nil {
		return "", err
	}
	if handler != "" {
		return "", fmt.Errorf("%w: runtime handler %q: skiff has only the default handler", errdefs.ErrNotFound, handler)
	}
	id := store.NewID()
	ctx = log.WithAttrs(ctx, log.KeySandboxID, id)
	release, err := m.locks.Lock(ctx, id) // Stop and Remove of the new pod wait
	if err != nil {
		return "", err
	}
	defer release()
	rec := store.Sandbox{ID: id, Name: name, Config: store.Proto[*runtime.PodSandboxConfig]{Msg: cfg}, State: store.SandboxNotReady, CreatedAt: time.Now().UTC()}
	if err := m.sandboxes.Add(rec); err != nil {
		return "", err
	}
	cu := cleanup.Make(ctx)
	defer cu.Clean()
	cu.Add("forget sandbox", func(context.Context) error { return m.sandboxes.Delete(id) })

	dir := m.podDir(id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("pod directory: %w", err)
	}
	cu.Add("remove pod directory", func(context.Context) error { return os.RemoveAll(dir) })

	nsOpts := cfg.GetLinux().GetSecurityContext().GetNamespaceOptions()
	if nsOpts.GetNetwork() != runtime.NamespaceMode_NODE {
		endSpan := log.Span(ctx, "netns.create")
		rec.NetNS, err = m.kernel.NewNetNS(ctx, m.cfg.NetNSDir, id)
		endSpan()
		if err != nil {
			return "", fmt.Errorf("network namespace: %w", err)
		}
		cu.Add("remove netns", func(context.Context) error { return m.kernel.RemoveNetNS(rec.NetNS) })
	}
	// The pod's IPs come with the network: hosts gets them after.
	endSpan := log.Span(ctx, "podfiles.write")
	files, err := m.writePodFiles(cfg, dir, nsOpts.GetIpc() != runtime.NamespaceMode_NODE)
	endSpan()
	if err != nil {
		return "", err
	}
	if files.ShmPath != "" {
		cu.Add("unmount shm", func(context.Context) error { return m.kernel.UnmountShm(dir) })
	}

	root, pauseArgs, err := m.pauseRoot(ctx, id)
	if err != nil {
		return "", err
	}
	cu.Add("unmount pause image", func(context.Context) error { return m.removePauseImageDir(id) })
	spec, err := oci.SandboxSpec(oci.SandboxInput{
		ID: id, Config: cfg, RootfsPath: root, PauseArgs: pauseArgs,
		NetNSPath: rec.NetNS, CgroupParent: cfg.GetLinux().GetCgroupParent(),
		CgroupManager: m.cfg.CgroupManager, MinOOMScoreAdj: m.cfg.MinOOMScoreAdj,
		ShmPath: files.ShmPath, ResolvConfPath: files.ResolvConfPath, HostsPath: files.HostsPath, HostnamePath: files.HostnamePath,
		Features: m.cfg.Features,
	})
	if err != nil {
		return "", err
	}
	ips, pause, err := m.attachAndStart(ctx, cu, id, rec.NetNS, cfg, spec)
	if err != nil {
		return "", err
	}
	if len(ips) > 0 {
		if err := podfiles.WriteHosts(dir, cfg.GetHostname(), ips...); err != nil {
			return "", err
		}
	}
	if _, err := m.sandboxes.Update(id, func(s store.Sandbox) (store.Sandbox, error) {
		s.State, s.NetNS, s.IPs = store.SandboxReady, rec.NetNS, ips
		s.PausePID, s.PauseStartTime = pause.PID, pause.StartTime
		s.CgroupParent, s.TaskCgroup = cfg.GetLinux().GetCgroupParent(), spec.Linux.CgroupsPath
		return s, nil
	}); err != nil {
		return "", err
	}
	cu.Release()
	log.G(ctx).Info("pod sandbox ready", "name", name, "netns", rec.NetNS, "ips", ips, "pause_pid", pause.PID)
	return id, nil
}

// writePodFiles writes hostname, hosts (without the pod's IPs) and
// resolv.conf in dir and, unless the pod uses the host's IPC namespace,
// mounts its /dev/shm.
func (m *Manager) writePodFiles(cfg *runtime.PodSandboxConfig, dir string, privateIPC bool) (Files, error) {
	if err := podfiles.WriteHostname(dir, cfg.GetHostname()); err != nil {
		return Files{}, err
	}
	if err := podfiles.WriteHosts(dir, cfg.GetHostname()); err != nil {
		return Files{}, err
	}
	if err := podfiles.WriteResolvConf(dir, cfg.GetDnsConfig()); err != nil {
		return Files{}, err
	}
	if privateIPC {
		if err := m.kernel.MountShm(dir); err != nil {
			return Files{}, err
		}
	}
	return FilesIn(dir, privateIPC), nil
}
