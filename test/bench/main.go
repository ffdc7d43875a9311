package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/skiffrt/skiff/test/bench/report"
)

// suite is one set of figures with its own pair of subjects and its own
// table in the run.
type suite interface {
	name() string
	run(ctx context.Context, r *report.Run) error
}

// blockSuite is a suite whose figures have a run and a block of
// docs/bench.md of their own, so that it can run alone (-suites).
type blockSuite interface {
	suite
	block() string
}

type options struct {
	bin, pause, out, lock string
	quick                 bool
	keep                  bool
	suites                string
}

// wants reports whether the run includes the suite called name.
func (o options) wants(name string) bool {
	return slices.Contains(strings.Split(o.suites, ","), name)
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "bin", "directory of skiffd, skiff-shim and skiff-pause")
	flag.StringVar(&o.pause, "pause", "bin/bench-pause", "static pause program served as the reference's pause image")
	flag.StringVar(&o.out, "out", "docs", "where bench.md, bench/latency.svg and bench/results.json go")
	flag.StringVar(&o.lock, "lock", "/tmp/skiff-heavy.lock", "lock file held during the run (\"\": none)")
	flag.BoolVar(&o.quick, "quick", false, "few pods per figure: checks the benchmark itself, figures meaningless")
	flag.BoolVar(&o.keep, "keep", false, "keep the state directory (daemon logs are always kept)")
	flag.StringVar(&o.suites, "suites", "node,proxy", "comma-separated suites to run: node (skiffd against containerd), proxy (rule sync against iptables-restore)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if os.Geteuid() != 0 {
		return errors.New("must run as root: the runtimes create namespaces, mounts and cgroups")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	unlock, err := lock(o.lock)
	if err != nil {
		return err
	}
	defer unlock()

	r := &report.Run{Date: time.Now(), Versions: map[string]string{}}
	describeHost(r)
	noteQuiet(ctx, r, "start", time.Minute)
	start := time.Now()
	suites := []suite{&nodeSuite{opts: o}, &proxySuite{opts: o}}
	var errs []error
	ranMain := false
	for _, s := range suites {
		if !o.wants(s.name()) {
			continue
		}
		if bs, ok := s.(blockSuite); ok {
			errs = append(errs, runBlock(ctx, o, bs))
			continue
		}
		ranMain = true
		fmt.Printf("bench: suite %s\n", s.name())
		if err := s.run(ctx, r); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.name(), err))
			r.Notef("suite %s failed: %v", s.name(), err)
		}
	}
	if !ranMain {
		return errors.Join(errs...)
	}
	r.Duration = time.Since(start)
	noteQuiet(ctx, r, "end", 0)
	if err := write(o, r); err != nil {
		errs = append(errs, err)
	}
	fmt.Print(r.Markdown(""))
	return errors.Join(errs...)
}

// runBlock runs a suite with its own run, written to its own block of
// bench.md and to bench/<block>.json.
func runBlock(ctx context.Context, o options, s blockSuite) error {
	fmt.Printf("bench: suite %s\n", s.name())
	r := &report.Run{Date: time.Now(), Versions: map[string]string{}}
	describeHost(r)
	noteQuiet(ctx, r, "start", time.Minute)
	start := time.Now()
	err := s.run(ctx, r)
	if err != nil {
		r.Notef("suite %s failed: %v", s.name(), err)
		err = fmt.Errorf("%s: %w", s.name(), err)
	}
	r.Duration = time.Since(start)
	noteQuiet(ctx, r, "end", 0)
	md := r.Markdown("")
	fmt.Print(md)
	dir := filepath.Join(o.out, "bench")
	if werr := os.MkdirAll(dir, 0o755); werr != nil {
		return errors.Join(err, werr)
	}
	if werr := r.WriteJSON(filepath.Join(dir, s.block()+".json")); werr != nil {
		return errors.Join(err, werr)
	}
	path := filepath.Join(o.out, "bench.md")
	if werr := report.SpliceBlock(path, s.block(), md); werr != nil {
		return errors.Join(err, werr)
	}
	fmt.Printf("bench: wrote the %s block of %s and %s/%s.json\n", s.block(), path, dir, s.block())
	return err
}

// write writes the JSON, the plot and the generated part of bench.md.
func write(o options, r *report.Run) error {
	dir := filepath.Join(o.out, "bench")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := r.WriteJSON(filepath.Join(dir, "results.json")); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "latency.svg"), []byte(r.SVG()), 0o644); err != nil {
		return err
	}
	md := filepath.Join(o.out, "bench.md")
	if err := report.Splice(md, r.Markdown("bench/latency.svg")); err != nil {
		return err
	}
	fmt.Printf("bench: wrote %s, %s/latency.svg, %s/results.json\n", md, dir, dir)
	return nil
}

// lock takes an exclusive flock on path, waiting for other heavy tests.
func lock(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		fmt.Printf("bench: waiting for %s (another heavy test runs)\n", path)
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, err
		}
	}
	return func() { f.Close() }, nil
}
