package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/skiffrt/skiff/internal/testutil/testimage"
	"github.com/skiffrt/skiff/internal/testutil/testregistry"
	"github.com/skiffrt/skiff/test/bench/cri"
	"github.com/skiffrt/skiff/test/bench/daemon"
	"github.com/skiffrt/skiff/test/bench/figure"
	"github.com/skiffrt/skiff/test/bench/report"
)

// nodeSuite compares skiffd with containerd on the CRI figures.
type nodeSuite struct {
	opts options

	dir    string // state of the whole suite, removed at the end
	reg    *testregistry.Registry
	net    *daemon.Network
	rts    []*daemon.Runtime // [skiff, containerd]
	cgroup string            // cgroupfs parent of every pod

	// skiffd's log over the serial pod starts and over the serial stop
	// and removal: the breakdowns read it.
	startLog, removeLog logSpan
}

func (s *nodeSuite) name() string { return "node" }

// sizes are the pod counts of the figures.
type sizes struct {
	pods, execs, density, densityWorkers, cold, warm, probes int
}

func (s *nodeSuite) sizes() sizes {
	if s.opts.quick {
		return sizes{pods: 4, execs: 10, density: 8, densityWorkers: 4, cold: 1, warm: 2, probes: 10}
	}
	return sizes{pods: 50, execs: 100, density: 200, densityWorkers: 8, cold: 3, warm: 10, probes: 100}
}

func (s *nodeSuite) run(ctx context.Context, r *report.Run) (err error) {
	if err := s.setUp(ctx, r); err != nil {
		s.tearDown()
		return err
	}
	defer s.tearDown()
	tab := r.NewTable("skiff against containerd (CRI, same client, same images, same CNI network)", s.rts[0].Name(), s.rts[1].Name())
	var errs []error
	for _, rt := range s.rts {
		fmt.Printf("bench: measuring %s\n", rt.Name())
		if err := s.measure(ctx, rt, tab, r); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", rt.Name(), err))
		}
	}
	noteDrift(r, tab)
	for _, bd := range []struct {
		title, what string
		ls          logSpan
		pods        int
		bound       bound
	}{
		{"Where skiff's pod start goes (measured)", "the start", s.startLog, s.sizes().pods,
			bound{figure.KeyPodStartSerialP50, "cni.add", "The CNI ADD", "the pod network set up without exec'd plugins (docs/bench.md)"}},
		{"Where skiff's stop + remove goes (measured)", "the stop and removal", s.removeLog, 2 * s.sizes().pods,
			bound{figure.KeyStopRemoveP50, "cni.del", "The CNI DEL", "the pod network torn down without exec'd plugins (docs/bench.md)"}},
	} {
		b, err := readBreakdown(bd.ls)
		if err != nil {
			r.Notef("%s: %v", bd.title, err)
			continue
		}
		r.Sections = append(r.Sections, b.section(bd.title, bd.what, bd.pods))
		bd.bound.note(r, tab, b)
	}
	return errors.Join(errs...)
}

// setUp starts the registry, writes the network and starts both daemons.
func (s *nodeSuite) setUp(ctx context.Context, r *report.Run) error {
	var err error
	if s.dir, err = os.MkdirTemp("", "skiff-bench-"); err != nil {
		return err
	}
	fmt.Printf("bench: state and logs in %s\n", s.dir)
	s.cgroup = fmt.Sprintf("/skiff-bench-%d", os.Getpid())
	if s.reg, err = startRegistry(ctx, s.opts.pause); err != nil {
		return err
	}
	if s.net, err = daemon.NewNetwork(filepath.Join(s.dir, "net")); err != nil {
		return err
	}
	bin, err := filepath.Abs(s.opts.bin)
	if err != nil {
		return err
	}
	hosts := mirroredHosts(s.reg)
	sk, err := daemon.NewSkiffd(daemon.SkiffdConfig{
		Bin: bin, Dir: filepath.Join(s.dir, "skiff"), Registry: s.reg.Addr(), Mirrored: hosts,
		CNIDir: s.net.Dir, LogLevel: "debug", PauseImage: PauseImage,
	})
	if err != nil {
		return err
	}
	cd, err := daemon.NewContainerd(daemon.ContainerdConfig{
		Dir: filepath.Join(s.dir, "containerd"), Registry: s.reg.Addr(), Mirrored: hosts,
		CNIDir: s.net.Dir, CNIBinDir: "/usr/lib/cni", PauseImage: PauseImage,
	})
	if err != nil {
		return err
	}
	s.rts = []*daemon.Runtime{sk, cd}
	if err := daemon.Reap(ctx, func(pid int) bool { return sk.Tracks(pid) || cd.Tracks(pid) }); err != nil {
		return err
	}
	for _, rt := range s.rts {
		v, err := rt.Start(ctx, time.Minute)
		if err != nil {
			return err
		}
		r.Versions[rt.Name()] = fmt.Sprintf("%s %s (CRI %s)", v.RuntimeName, v.RuntimeVersion, v.RuntimeApiVersion)
	}
	r.Notef("pause: both runtimes run %s, which the benchmark serves holding a static C pause (test/bench/pause), as the upstream pause image is", PauseImage)
	return nil
}

// measure runs every figure against rt, between two machine probes, in
// an order that reuses pods: 50 started serially stay for the memory
// figure, 50 more started 4 at a time make the 100 of the daemon RSS,
// exec (ExecSync and streaming) and restart figures, and are then stopped
// and removed one by one; density starts from none.
func (s *nodeSuite) measure(ctx context.Context, rt *daemon.Runtime, tab *report.Table, r *report.Run) error {
	conn, err := daemon.Dial(rt.Socket())
	if err != nil {
		return err
	}
	logs := filepath.Join(s.dir, "logs", rt.Name())
	t := &figure.Target{RT: rt, CRI: cri.NewClient(conn, logs, s.cgroup), Table: tab, Run: r}
	defer t.CRI.Close()
	n := s.sizes()
	steps := []struct {
		name string
		fn   func() error
	}{
		{"machine probe", func() error { return figure.Probe(ctx, t, figure.ProbeStart, n.probes) }},
		{"daemon RSS, idle", func() error { return figure.DaemonRSS(t) }},
		{"image pull", func() error { return figure.Pull(ctx, t, testimage.LayeredRef, n.cold, n.warm) }},
		{"warm-up", func() error { return warmUp(ctx, t) }},
		{"pod start, serial", func() error {
			return s.logged(rt, &s.startLog, func() error { return figure.PodStart(ctx, t, n.pods, 1) })
		}},
		{"memory", func() error { time.Sleep(time.Second); return figure.Memory(t) }},
		{"pod start, 4 in parallel", func() error { return figure.PodStart(ctx, t, n.pods, 4) }},
		{"daemon RSS", func() error { return figure.DaemonRSS(t) }},
		{"ExecSync", func() error { return figure.ExecSync(ctx, t, n.execs) }},
		{"streaming exec", func() error { return figure.StreamExec(ctx, t, n.execs) }},
		{"restart", func() error { return figure.Restart(ctx, t, 2*time.Minute) }},
		{"stop + remove", func() error {
			return s.logged(rt, &s.removeLog, func() error { return figure.StopRemove(ctx, t) })
		}},
		{"density", func() error { return figure.Density(ctx, t, n.density, n.densityWorkers) }},
		{"remove density pods", func() error { return t.RemovePods(ctx, n.densityWorkers) }},
		{"machine probe", func() error { return figure.Probe(ctx, t, figure.ProbeEnd, n.probes) }},
	}
	var errs []error
	for _, st := range steps {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		start := time.Now()
		err := st.fn()
		fmt.Printf("bench: %s: %s %s", rt.Name(), st.name, time.Since(start).Round(time.Millisecond))
		if err != nil {
			fmt.Printf(": %v", err)
			r.Notef("%s: %s: %v", rt.Name(), st.name, err)
			errs = append(errs, err)
		}
		fmt.Println()
	}
	if err := t.RemovePods(context.WithoutCancel(ctx), 4); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// logged runs fn and, for skiffd, records the part of its log that fn
// made it write in ls.
func (s *nodeSuite) logged(rt *daemon.Runtime, ls *logSpan, fn func() error) error {
	from := logSize(rt.Log())
	err := fn()
	if rt == s.rts[0] {
		*ls = logSpan{path: rt.Log(), start: from, end: logSize(rt.Log())}
	}
	return err
}

// warmUp pulls the pod image and starts and removes a few pods, so that
// the measured pods find caches, the pause image and the network ready.
func warmUp(ctx context.Context, t *figure.Target) error {
	for range 3 {
		p, _, err := t.CRI.StartPod(ctx, "warmup")
		if p.SandboxID != "" {
			if _, rerr := t.CRI.RemovePod(ctx, p.SandboxID); rerr != nil && err == nil {
				err = rerr
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// tearDown stops the daemons (their pods are gone by now), the registry,
// deletes the bridge and the cgroup parent, and removes the state
// directory but for the daemon logs.
func (s *nodeSuite) tearDown() {
	for _, rt := range s.rts {
		if err := rt.Stop(30 * time.Second); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		}
	}
	// containerd's shims keep their sockets in a fixed directory; it is
	// empty once they are gone.
	for _, d := range []string{"/run/containerd/s", "/run/containerd"} {
		_ = os.Remove(d)
	}
	if s.reg != nil {
		_ = s.reg.Close()
	}
	if s.net != nil {
		if err := s.net.Delete(); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		}
	}
	if s.cgroup != "" {
		for _, d := range daemon.RemoveCgroupParent(s.cgroup) {
			fmt.Fprintf(os.Stderr, "bench: left over: cgroup %s\n", d)
		}
	}
	if s.dir != "" {
		if err := removeState(s.dir, s.opts.keep); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		}
	}
}
