package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/skiffrt/skiff/container"
	"github.com/skiffrt/skiff/internal/cni"
	"github.com/skiffrt/skiff/internal/config"
	"github.com/skiffrt/skiff/internal/events"
	"github.com/skiffrt/skiff/internal/image"
	"github.com/skiffrt/skiff/internal/image/remote"
	"github.com/skiffrt/skiff/internal/keylock"
	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/metrics"
	"github.com/skiffrt/skiff/internal/proc"
	"github.com/skiffrt/skiff/internal/rootfs"
	"github.com/skiffrt/skiff/internal/stats"
	"github.com/skiffrt/skiff/internal/store"
	"github.com/skiffrt/skiff/internal/task"
	"github.com/skiffrt/skiff/internal/version"
	"github.com/skiffrt/skiff/oci"
	"github.com/skiffrt/skiff/sandbox"
)

// services are what the CRI server answers from.
type services struct {
	images     *image.Store
	network    *cni.Network
	features   oci.HostFeatures
	sandboxes  *sandbox.Manager
	containers *container.Manager
	stats      *stats.Collector
	events     *events.Broker
	metrics    *metrics.Runtime
	closers    []func() error
}

// openServices opens the image and runtime stores, wires the managers
// and reconciles what ran before a restart with what runs now. The
// runtime's metrics are registered with reg.
func openServices(ctx context.Context, cfg config.Config, reg prometheus.Registerer) (*services, error) {
	s := &services{}
	tasks := &task.Runner{
		ShimBinary:   cfg.ShimPath,
		Dir:          filepath.Join(cfg.RunRoot, "tasks"),
		SocketDir:    filepath.Join(cfg.RunRoot, "s"),
		StateRoot:    filepath.Join(cfg.RunRoot, "runc"),
		ShimCgroup:   cfg.ShimCgroup,
		CRIU:         cfg.CRIUPath,
		SeccompCache: filepath.Join(cfg.RunRoot, "seccomp-bpf"),
	}
	s.events = events.NewBroker(events.DefaultBuffer, func(reason string) { s.metrics.EventsDropped(reason) })
	s.metrics = metrics.NewRuntime(reg, metrics.RuntimeGauges{
		ShimsAlive: func() float64 {
			n, err := tasks.Alive()
			if err != nil {
				log.G(ctx).Warn("count live shims", log.KeyError, err)
			}
			return float64(n)
		},
		EventListeners: func() float64 { return float64(s.events.Listeners()) },
	})
	registryCfg := remote.Config{
		Mirrors:         cfg.Registry.Mirrors,
		Insecure:        cfg.Registry.Insecure,
		ProgressTimeout: time.Duration(cfg.Registry.PullProgressTimeout),
		UserAgent:       version.Name + "/" + version.Version,
	}
	if err := registryCfg.Validate(); err != nil {
		return nil, fmt.Errorf("registry configuration: %w", err)
	}
	registry := remote.New(registryCfg)
	s.closers = append(s.closers, func() error { registry.Close(); return nil })
	images, err := image.Open(ctx, filepath.Join(cfg.Root, "images"), meteredRegistry{registry, s.metrics})
	if err != nil {
		return nil, s.fail(err)
	}
	s.images = images
	s.closers = append(s.closers, images.Close)

	if cfg.PauseImage != "" {
		if _, err := image.ParseRef(cfg.PauseImage); err != nil {
			return nil, s.fail(fmt.Errorf("pause_image: %w", err))
		}
	}
	st, err := store.Open(cfg.Root)
	if err != nil {
		return nil, s.fail(err)
	}
	s.closers = append(s.closers, st.Close)
	pauseRootfs, err := sandbox.EnsurePauseRootfs(filepath.Join(cfg.Root, "pause"), cfg.PausePath)
	if err != nil {
		return nil, s.fail(err)
	}
	if err := task.BecomeSubreaper(); err != nil {
		return nil, s.fail(err)
	}
	s.events.Watch(st.Sandboxes, st.Containers)
	features, minOOM := oci.ProbeHostFeatures(), oci.OwnOOMScoreAdj()
	s.features = features
	podsDir, containersDir := filepath.Join(cfg.RunRoot, "pods"), filepath.Join(cfg.Root, "containers")
	locks := &keylock.Map{} // one per daemon: pods and containers share it
	s.containers = container.New(container.Deps{
		Containers: st.Containers, Pods: st.Sandboxes, Images: images, Tasks: tasks,
		Rootfs: rootfs.Overlay{}, Locks: locks,
	}, container.Config{
		Dir: containersDir, PodsDir: podsDir,
		CgroupManager: cfg.CgroupManager, MinOOMScoreAdj: minOOM, Features: features,
		SeccompProfileRoot: cfg.SeccompProfileRoot,
	})
	network, err := cni.New(cni.Config{
		ConfDir: cfg.CNI.ConfDir, BinDirs: cfg.CNI.BinDirs, CacheDir: filepath.Join(cfg.Root, "cni", "cache"),
		IPAMDataDir: cfg.CNI.IPAMDataDir, DefaultBridge: cfg.CNI.DefaultBridge, DefaultSubnet: cfg.CNI.DefaultSubnet,
	})
	if err != nil {
		return nil, s.fail(err)
	}
	s.network = network
	if def, err := network.UsesDefault(); err == nil && def {
		// skiff's own bridge network routes pods through the host.
		if err := cni.EnsureForwarding(); err != nil {
			log.G(ctx).Warn("pods on the default network may not reach each other or the outside", log.KeyError, err)
		}
	}
	s.sandboxes = sandbox.New(sandbox.Deps{
		Sandboxes: st.Sandboxes, Containers: s.containers, Images: images, Network: network,
		Pauses: sandbox.DetachedPauses{Tasks: tasks, Procs: &proc.Table{}}, Rootfs: rootfs.Overlay{},
		Kernel: sandbox.HostKernel{}, Locks: locks,
	}, sandbox.Config{
		RunDir: podsDir, NetNSDir: filepath.Join(cfg.RunRoot, "netns"), PauseRootfs: pauseRootfs,
		PauseImage: cfg.PauseImage, PauseImageDir: filepath.Join(cfg.Root, "pause", "pods"),
		CgroupManager: cfg.CgroupManager, MinOOMScoreAdj: minOOM, Features: features,
	})
	s.stats = stats.NewCollector(stats.Config{Cgroups: stats.HostCgroups(), ContainersDir: containersDir, LayerUsage: rootfs.Usage})
	log.G(ctx).Debug("host features", "features", fmt.Sprintf("%+v", features), "min_oom_score_adj", minOOM)
	s.sandboxes.Recover(ctx)
	s.containers.Recover(ctx)
	return s, nil
}

// fail closes what was opened and returns err.
func (s *services) fail(err error) error {
	s.close()
	return err
}

// close closes the stores, newest first. Running containers are left
// alone.
func (s *services) close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	s.closers = nil
	return errors.Join(errs...)
}
