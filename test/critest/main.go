package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// options are the runner's flags.
type options struct {
	bin       string // directory of skiffd, skiff-testregistry, critest, ginkgo
	passing   string // the ratchet file
	artifacts string // where logs and reports go; empty: a new temp dir
	busybox   string // passed to skiff-testregistry --busybox
	keep      bool   // keep skiffd's state directory
	update    bool   // rewrite the ratchet file
	verbose   bool   // stream critest's output

	parallel      int
	timeout       time.Duration // critest's suite timeout
	registryReady time.Duration
	skiffdReady   time.Duration

	focus, skip, critestArgs, skiffdArgs []string
}

func main() {
	os.Exit(run(os.Args[1:]))
}

// Exit codes.
const (
	exitOK      = 0
	exitRatchet = 1 // a listed spec failed or did not run
	exitTrouble = 2 // bad usage, or the run itself went wrong
)

// run runs the suite and returns the exit code. Its last line of output is
// always the summary, "critest: N passed, N failed, N skipped".
func run(args []string) int {
	o, err := parseFlags(args, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitTrouble
	}
	var rep report
	defer func() {
		p, f, s := rep.counts()
		fmt.Printf("critest: %d passed, %d failed, %d skipped\n", p, f, s)
	}()

	pf, err := readPassing(o.passing)
	if errors.Is(err, os.ErrNotExist) && o.update {
		pf, err = passingFile{header: defaultHeader}, nil
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "critest: %v\n", err)
		return exitTrouble
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sr := o.suiteRun()
	rep, err = runAll(ctx, o, sr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "critest: %v\n", err)
		if len(rep.specs) == 0 {
			return exitTrouble
		}
	}
	// A report from a run that went wrong is still judged, for the
	// record, but never written to the ratchet file.
	code := judge(o, pf, rep, sr.filtered(), err == nil)
	if err != nil {
		return exitTrouble
	}
	return code
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("critest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./test/critest [flags] [-- critest args]\n\n"+
			"Runs the CRI validation suite (critest) against a fresh skiffd and checks\n"+
			"the result against test/critest/passing.txt. Run as root from the\n"+
			"repository root, after building bin/skiffd, bin/skiff-testregistry,\n"+
			"bin/critest (and bin/ginkgo for -parallel > 1).\n\nflags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.bin, "bin", "bin", "directory holding skiffd, skiff-testregistry, critest and ginkgo")
	fs.StringVar(&o.passing, "passing", "test/critest/passing.txt", "the ratchet file: specs that must pass")
	fs.StringVar(&o.artifacts, "artifacts", "", "directory for skiffd's log, the registry log, critest's output and reports (default: a new temp dir)")
	fs.StringVar(&o.busybox, "busybox", "", "static busybox for the test images, passed to skiff-testregistry (default: its own, or $SKIFF_BUSYBOX)")
	fs.BoolVar(&o.keep, "keep", false, "keep skiffd's state directory")
	fs.BoolVar(&o.update, "update", false, "rewrite the ratchet file with the specs that passed")
	fs.BoolVar(&o.verbose, "v", false, "also print critest's output (it always goes to critest.log)")
	fs.IntVar(&o.parallel, "parallel", 2, "critest parallel nodes (above 1 needs bin/ginkgo)")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Minute, "timeout of the critest run")
	fs.DurationVar(&o.registryReady, "registry-timeout", 20*time.Minute, "how long to wait for the test registry (its first run may build busybox)")
	fs.DurationVar(&o.skiffdReady, "skiffd-timeout", 30*time.Second, "how long to wait for skiffd to answer")
	fs.Func("focus", "only run specs matching this regexp (repeatable, ORed)", appendTo(&o.focus))
	fs.Func("skip", "do not run specs matching this regexp (repeatable, ORed)", appendTo(&o.skip))
	fs.Func("critest-arg", "extra argument for critest (repeatable); arguments after -- are passed too", appendTo(&o.critestArgs))
	fs.Func("skiffd-arg", "extra argument for skiffd (repeatable)", appendTo(&o.skiffdArgs))
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.critestArgs = append(o.critestArgs, fs.Args()...)
	if o.parallel < 1 {
		fmt.Fprintln(stderr, "critest: -parallel must be at least 1")
		return o, errors.New("bad -parallel")
	}
	return o, nil
}

func appendTo(list *[]string) func(string) error {
	return func(s string) error {
		*list = append(*list, s)
		return nil
	}
}

// suiteRun returns the critest run the options ask for; the socket and
// report paths are filled in by runAll.
func (o options) suiteRun() suiteRun {
	return suiteRun{
		parallel: o.parallel,
		timeout:  o.timeout,
		focus:    o.focus,
		skip:     o.skip,
		extra:    o.critestArgs,
	}
}

// runAll sets up the test registry and skiffd, runs critest, tears them
// down and returns critest's report.
func runAll(ctx context.Context, o options, sr suiteRun) (report, error) {
	if os.Geteuid() != 0 {
		return report{}, errors.New("must run as root: skiffd creates namespaces, mounts and cgroups")
	}
	e, err := setUp(ctx, o)
	if err != nil {
		return report{}, err
	}
	defer e.tearDown(ctx)
	return e.runSuite(ctx, sr, o.verbose)
}
