package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// suiteRun is one run of the critest binary against a socket.
type suiteRun struct {
	sock     string
	parallel int
	timeout  time.Duration // the suite's own timeout (-ginkgo.timeout)
	focus    []string      // -ginkgo.focus regexps, ORed
	skip     []string      // -ginkgo.skip regexps, ORed with critest's own "benchmark"
	extra    []string      // passed as they are, last
	report   string        // path of the JSON report to write
	junit    string        // path of the JUnit report to write
}

// args returns critest's command line.
//
// Images need no -registry-prefix: skiffd mirrors their registries to the
// test registry, so critest asks for the real names (see doc.go).
func (r suiteRun) args() []string {
	ep := "unix://" + r.sock
	args := []string{
		"-runtime-endpoint=" + ep,
		"-image-endpoint=" + ep,
	}
	// critest's -parallel, even set to 1, makes ginkgo refuse to run
	// ("Use of go test -parallel") unless critest hands the run to the
	// ginkgo CLI, which it does only above 1.
	if r.parallel > 1 {
		args = append(args, "-parallel="+strconv.Itoa(r.parallel))
	}
	args = append(args,
		"-ginkgo.timeout="+r.timeout.String(),
		"-ginkgo.json-report="+r.report,
		"-ginkgo.junit-report="+r.junit,
		"-ginkgo.no-color",
	)
	for _, f := range r.focus {
		args = append(args, "-ginkgo.focus="+f)
	}
	for _, s := range r.skip {
		args = append(args, "-ginkgo.skip="+s)
	}
	return append(args, r.extra...)
}

// filtered reports whether the run selects fewer specs than a full run:
// -focus or -skip given, or a filtering ginkgo flag among the extra args.
// Specs a filter leaves out are not held against passing.txt.
func (r suiteRun) filtered() bool {
	if len(r.focus) > 0 || len(r.skip) > 0 {
		return true
	}
	for _, a := range r.extra {
		for _, f := range []string{"focus", "skip", "label-filter", "sem-ver-filter"} {
			if strings.Contains(a, f) {
				return true
			}
		}
	}
	return false
}

// runCritest runs bin/critest with its output in logPath (and on out, if
// not nil) and waits for it, at most the suite timeout plus a
// minute for ginkgo to write its reports. critest's exit status is not
// used: the JSON report says what passed.
//
// With -parallel above 1, critest runs the ginkgo CLI found on PATH, so
// binDir (which holds bin/ginkgo) goes first on PATH.
//
// critest works in tmpDir, its TMPDIR too: it leaves files behind in
// parallel mode (a /tmp/cri-test* directory per run), so tmpDir should be
// one that is removed afterwards.
func runCritest(ctx context.Context, binDir, tmpDir string, r suiteRun, logPath string, out io.Writer) error {
	critest := filepath.Join(binDir, "critest")
	if r.parallel > 1 {
		if _, err := os.Stat(filepath.Join(binDir, "ginkgo")); err != nil {
			return fmt.Errorf("critest -parallel=%d needs the ginkgo CLI in %s: build it with `cd tools && go build -o ../bin/ginkgo github.com/onsi/ginkgo/v2/ginkgo`", r.parallel, binDir)
		}
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	var w io.Writer = logf
	if out != nil {
		w = io.MultiWriter(logf, out)
	}
	if err := os.MkdirAll(tmpDir, 0o755); err != nil {
		return err
	}
	cmd := exec.Command(critest, r.args()...)
	cmd.Dir = tmpDir
	cmd.Stdout, cmd.Stderr = w, w
	cmd.Env = append(os.Environ(),
		"PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"TMPDIR="+tmpDir)
	fmt.Fprintf(logf, "# %s %s\n", critest, strings.Join(r.args(), " "))
	c, err := startChild("critest", cmd)
	if err != nil {
		return err
	}
	limit := time.NewTimer(r.timeout + time.Minute)
	defer limit.Stop()
	select {
	case <-c.done:
		return nil
	case <-limit.C:
		_ = c.stop(30 * time.Second)
		return fmt.Errorf("critest still running %s after its %s timeout; stopped it", time.Minute, r.timeout)
	case <-ctx.Done():
		_ = c.stop(30 * time.Second)
		return ctx.Err()
	}
}
