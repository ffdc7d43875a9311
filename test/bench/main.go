package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
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

type options struct {
	bin, pause, out, lock string
	quick                 bool
	keep                  bool
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "bin", "directory of skiffd, skiff-shim and skiff-pause")
	flag.StringVar(&o.pause, "pause", "bin/bench-pause", "static pause program served as the reference's pause image")
	flag.StringVar(&o.out, "out", "docs", "where bench.md, bench/latency.svg and bench/results.json go")
	flag.StringVar(&o.lock, "lock", "/tmp/skiff-heavy.lock", "lock file held during the run (\"\": none)")
	flag.BoolVar(&o.quick, "quick", false, "few pods per figure: checks the benchmark itself, figures meaningless")
	flag.BoolVar(&o.keep, "keep", false, "keep the state directory (daemon logs are always kept)")
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
	start := time.Now()
	suites := []suite{&nodeSuite{opts: o}}
	var errs []error
	for _, s := range suites {
		fmt.Printf("bench: suite %s\n", s.name())
		if err := s.run(ctx, r); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.name(), err))
			r.Notef("suite %s failed: %v", s.name(), err)
		}
	}
	r.Duration = time.Since(start)
	noteLoad(r, "end")
	if err := write(o, r); err != nil {
		errs = append(errs, err)
	}
	fmt.Print(r.Markdown(""))
	return errors.Join(errs...)
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
