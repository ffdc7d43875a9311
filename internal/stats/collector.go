package stats

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/log"
)

const (
	// parallelism bounds the objects read at once by one list call: enough
	// to overlap the file reads, few enough to leave the CPUs to pods.
	parallelism = 8
	// layerTTL is how long a writable layer's usage is reused before its
	// directory is walked again, as containerd refreshes snapshot usage
	// in the background.
	layerTTL = 5 * time.Second
)

// ContainerRef is what the collector needs to know of a container.
type ContainerRef struct {
	ID string
	// CgroupsPath is the spec's linux.cgroupsPath; empty before the
	// container has one.
	CgroupsPath string
}

// PodRef is what the collector needs to know of a pod.
type PodRef struct {
	ID string
	// CgroupParent is the pod's cgroup (a cgroupfs path or a systemd
	// slice), when kubelet gave one; without it the pod's usage is the
	// sum of its containers' and its pause container's.
	CgroupParent string
	// PauseCgroupsPath is the pause container's linux.cgroupsPath.
	PauseCgroupsPath string
	// NetNS is the pod's pinned network namespace; empty with the host's.
	NetNS string
}

// Container is a container's usage. Sample is nil when its cgroup is
// gone (an exited container); Layer is nil when its writable layer could
// not be measured.
type Container struct {
	ID     string
	Sample *Sample
	// NanoCores is the CPU usage rate in core-nanoseconds per second,
	// nil until two samples are known.
	NanoCores *uint64
	Layer     *Layer
}

// Layer is the usage of a container's writable layer.
type Layer struct {
	Time          time.Time
	Bytes, Inodes uint64
	// Dir is the directory of all containers, on the layer's filesystem.
	Dir string
}

// Pod is a pod's usage, its containers' included.
type Pod struct {
	ID         string
	Sample     *Sample
	NanoCores  *uint64
	Network    *Network
	Containers []Container
}

// Config is what a Collector reads from.
type Config struct {
	Cgroups Cgroups
	// ContainersDir holds one directory per container, named by its ID,
	// with its writable layer.
	ContainersDir string
	// LayerUsage measures the writable layer of the container directory
	// dir: bytes and inodes (rootfs.Usage).
	LayerUsage func(ctx context.Context, dir string) (bytes, inodes int64, err error)
}

// Collector reads the usage of containers and pods; see the package
// comment. It is safe for concurrent use.
type Collector struct {
	cfg    Config
	rates  *rates
	layers *cache[Layer]
	walks  singleflight.Group
}

// NewCollector returns a Collector.
func NewCollector(cfg Config) *Collector {
	return &Collector{cfg: cfg, rates: newRates(), layers: newCache[Layer]()}
}

// Containers reads the usage of each container, a few at a time; the
// result is in the order of refs.
func (c *Collector) Containers(ctx context.Context, refs []ContainerRef) []Container {
	out := make([]Container, len(refs))
	forEach(ctx, len(refs), func(i int) { out[i] = c.Container(ctx, refs[i]) })
	return out
}

// Pods reads the usage of each pod with its containers (containers[i]
// are those of pods[i]), a few pods at a time.
func (c *Collector) Pods(ctx context.Context, pods []PodRef, containers [][]ContainerRef) []Pod {
	out := make([]Pod, len(pods))
	forEach(ctx, len(pods), func(i int) { out[i] = c.Pod(ctx, pods[i], containers[i]) })
	return out
}

// Container reads one container's usage. What cannot be read is left
// out (and logged when it is not simply gone).
func (c *Collector) Container(ctx context.Context, ref ContainerRef) Container {
	out := Container{ID: ref.ID}
	if s, ok := c.readCgroup(ctx, ref.CgroupsPath); ok {
		out.Sample = &s
		out.NanoCores = c.rates.update(ref.ID, s.Time, s.CPU.UsageNanos)
	}
	out.Layer = c.layer(ctx, ref.ID)
	return out
}

// Pod reads one pod's usage and its containers'.
func (c *Collector) Pod(ctx context.Context, ref PodRef, containers []ContainerRef) Pod {
	out := Pod{ID: ref.ID, Containers: make([]Container, len(containers))}
	for i, cr := range containers {
		out.Containers[i] = c.Container(ctx, cr)
	}
	if s, ok := c.podSample(ctx, ref, out.Containers); ok {
		out.Sample = &s
		out.NanoCores = c.rates.update("pod/"+ref.ID, s.Time, s.CPU.UsageNanos)
	}
	if ref.NetNS != "" {
		n, err := ReadNetwork(ref.NetNS)
		if err == nil {
			out.Network = &n
		} else if !errdefs.IsNotFound(err) {
			log.G(ctx).Debug("pod network stats", log.KeySandboxID, ref.ID, log.KeyError, err)
		}
	}
	return out
}

// podSample reads the pod's own cgroup when it has one, else sums its
// pause container's and its containers' samples.
func (c *Collector) podSample(ctx context.Context, ref PodRef, containers []Container) (Sample, bool) {
	if ref.CgroupParent != "" {
		p := ref.CgroupParent
		if !strings.Contains(p, "/") && strings.HasSuffix(p, ".slice") {
			var err error
			if p, err = SlicePath(p); err != nil {
				log.G(ctx).Debug("pod cgroup", log.KeySandboxID, ref.ID, log.KeyError, err)
			}
		}
		if s, ok := c.readCgroup(ctx, p); ok {
			return s, true
		}
	}
	sum, ok := c.readCgroup(ctx, ref.PauseCgroupsPath)
	for _, ct := range containers {
		if ct.Sample == nil {
			continue
		}
		if !ok {
			sum, ok = *ct.Sample, true
			continue
		}
		sum = sum.Add(*ct.Sample)
	}
	sum.Memory.Limit, sum.Pids.Limit = 0, 0 // a sum has no limit of its own
	return sum, ok
}

// readCgroup samples the cgroup of a spec's cgroupsPath; false when there
// is none (logged unless it is simply gone).
func (c *Collector) readCgroup(ctx context.Context, cgroupsPath string) (Sample, bool) {
	if cgroupsPath == "" {
		return Sample{}, false
	}
	p, err := CgroupPath(cgroupsPath)
	if err == nil {
		var s Sample
		if s, err = c.cfg.Cgroups.Read(p); err == nil {
			return s, true
		}
	}
	if !errdefs.IsNotFound(err) {
		log.G(ctx).Debug("cgroup stats", "cgroup", cgroupsPath, log.KeyError, err)
	}
	return Sample{}, false
}

// layer returns the usage of container id's writable layer, measured at
// most once per layerTTL; concurrent calls share one walk.
func (c *Collector) layer(ctx context.Context, id string) *Layer {
	now := time.Now()
	if l, ok := c.layers.get(id, now); ok && now.Sub(l.Time) < layerTTL {
		return &l
	}
	v, err, _ := c.walks.Do(id, func() (any, error) {
		b, n, err := c.cfg.LayerUsage(ctx, filepath.Join(c.cfg.ContainersDir, id))
		if err != nil {
			return nil, err
		}
		l := Layer{Time: time.Now(), Bytes: uint64(b), Inodes: uint64(n), Dir: c.cfg.ContainersDir}
		c.layers.put(id, l, l.Time)
		return l, nil
	})
	if err != nil {
		if !errdefs.IsNotFound(err) && !errors.Is(err, context.Canceled) {
			log.G(ctx).Debug("writable layer usage", log.KeyContainerID, id, log.KeyError, err)
		}
		return nil
	}
	l := v.(Layer)
	return &l
}

// forEach runs fn(0) … fn(n-1), parallelism at a time, and returns when
// all have; it stops starting new ones once ctx ends.
func forEach(ctx context.Context, n int, fn func(i int)) {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelism)
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error { fn(i); return nil })
	}
	_ = g.Wait()
}
