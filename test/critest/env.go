package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/skiffrt/skiff/internal/testutil/hostbridge"
)

// env is what one run sets up: the artifacts and state directories, the
// test registry and skiffd. It is used by one goroutine.
type env struct {
	bin   string // absolute directory of the binaries
	art   string // artifacts directory
	state string // skiffd's state directory, removed by tearDown
	keep  bool   // keep state

	reg *registry // nil until started
	d   *skiffd   // nil until started
	// claimed is set once the runner owns hostbridge.Critest, the
	// bridge and subnet of skiffd's pods, which tearDown deletes.
	claimed bool
}

// setUp checks the binaries, makes the directories and starts the test
// registry and skiffd. On error it tears down whatever it had set up.
func setUp(ctx context.Context, o options) (*env, error) {
	bin, err := filepath.Abs(o.bin)
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"skiffd", "skiff-testregistry", "critest"} {
		if _, err := os.Stat(filepath.Join(bin, name)); err != nil {
			return nil, fmt.Errorf("%v: build it first (make)", err)
		}
	}
	art, err := artifactsDir(o.artifacts)
	if err != nil {
		return nil, err
	}
	fmt.Printf("critest: artifacts in %s\n", art)
	state, err := os.MkdirTemp("", "skiff-critest-")
	if err != nil {
		return nil, err
	}
	e := &env{bin: bin, art: art, state: state, keep: o.keep}
	if err := e.start(ctx, o); err != nil {
		e.tearDown(ctx)
		return nil, err
	}
	return e, nil
}

// start starts the test registry, then skiffd with every registry that the
// test registry serves mirrored to it.
func (e *env) start(ctx context.Context, o options) error {
	fmt.Println("critest: starting the test registry (the first run may build busybox)")
	reg, err := startRegistry(ctx, filepath.Join(e.bin, "skiff-testregistry"), o.busybox, filepath.Join(e.art, "registry.log"), o.registryReady)
	if err != nil {
		return err
	}
	e.reg = reg
	hosts := mirroredHosts(reg.served)
	fmt.Printf("critest: test registry on %s serving %d references; mirrored: %s\n", reg.addr, len(reg.served), strings.Join(hosts, " "))
	for _, s := range unmirrorable(reg.addr, reg.served) {
		fmt.Fprintf(os.Stderr, "critest: warning: %s is served as %s, which a mirror of its registry cannot reach\n", s.src, s.local)
	}

	// skiffd's own network on a bridge and subnet of the runner's, with
	// an empty CNI config dir: the host's /etc/cni/net.d plays no part.
	if err := hostbridge.Critest.Claim(); err != nil {
		return fmt.Errorf("skiffd's network: %w", err)
	}
	e.claimed = true
	hostNet, err := hostbridge.Critest.ForSkiffd(e.state)
	if err != nil {
		return err
	}
	fmt.Printf("critest: pods on bridge %s, %s\n", hostNet.Bridge.Name, hostNet.Bridge.Subnet)

	paths := newSkiffdPaths(e.state)
	args := skiffdArgs(paths, reg.addr, hosts, o.skiffdArgs)
	d, err := startSkiffd(ctx, filepath.Join(e.bin, "skiffd"), paths, hostNet.TOML(), args, filepath.Join(e.art, "skiffd.log"), o.skiffdReady)
	if err != nil {
		return err
	}
	e.d = d
	fmt.Printf("critest: skiffd log %s\n", d.log)
	return nil
}

// runSuite runs critest against skiffd and reads its report. A report is
// returned with an error when the run went wrong but left one.
func (e *env) runSuite(ctx context.Context, sr suiteRun, verbose bool) (report, error) {
	sr.sock = e.d.sock
	sr.report = filepath.Join(e.art, "critest-report.json")
	sr.junit = filepath.Join(e.art, "critest-junit.xml")
	_ = os.Remove(sr.report) // never read a previous run's report
	var out io.Writer
	if verbose {
		out = os.Stdout
	}
	logPath := filepath.Join(e.art, "critest.log")
	fmt.Printf("critest: running critest -parallel=%d; output in %s\n", sr.parallel, logPath)
	start := time.Now()
	runErr := runCritest(ctx, e.bin, filepath.Join(e.state, "tmp"), sr, logPath, out)
	fmt.Printf("critest: critest ran %s\n", time.Since(start).Round(100*time.Millisecond))

	rep, err := readReport(sr.report)
	if err != nil {
		err = fmt.Errorf("no report: %v; critest output %s:\n%s", err, logPath, tail(logPath, 20))
		return report{}, errors.Join(runErr, err)
	}
	if e.d.exited() {
		return rep, fmt.Errorf("skiffd died during the run (%v); log %s:\n%s", e.d.err, e.d.log, tail(e.d.log, 20))
	}
	return rep, runErr
}

// tearDown removes what critest left in skiffd, stops skiffd and the
// registry, deletes the pods' bridge, and removes the state directory
// unless it is to be kept. Problems are reported, not returned: there is
// nothing left to do.
func (e *env) tearDown(ctx context.Context) {
	if e.d != nil {
		e.d.removeLeftovers(context.WithoutCancel(ctx))
		stopLogged(e.d.child, 30*time.Second)
	}
	if e.claimed {
		if err := hostbridge.Critest.Delete(); err != nil {
			fmt.Fprintf(os.Stderr, "critest: %v\n", err)
		}
	}
	if e.reg != nil {
		stopLogged(e.reg.child, 10*time.Second)
	}
	if e.keep {
		fmt.Printf("critest: kept skiffd's state in %s\n", e.state)
		return
	}
	if err := removeStateDir(e.state); err != nil {
		fmt.Fprintf(os.Stderr, "critest: remove %s: %v\n", e.state, err)
	}
}

// artifactsDir creates dir, or a new temp dir if dir is empty, and returns
// its absolute path.
func artifactsDir(dir string) (string, error) {
	if dir == "" {
		return os.MkdirTemp("", "skiff-critest-artifacts-")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return filepath.Abs(dir)
}

func stopLogged(c *child, grace time.Duration) {
	if err := c.stop(grace); err != nil {
		fmt.Fprintf(os.Stderr, "critest: stop %s: %v\n", c.name, err)
	}
}
