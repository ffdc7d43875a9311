package main

import (
	"fmt"
	"io"
	"os"
)

// defaultHeader heads a passing.txt that -update creates.
var defaultHeader = []string{
	"# critest specs that skiffd passes: the ratchet of test/critest.",
	"# One full spec name per line, sorted. A listed spec that fails or does",
	"# not run fails the run; rewrite with `go run ./test/critest -update`.",
}

// judge prints what the run means for the ratchet, rewrites the ratchet
// file if asked to (and if the run can be trusted), and returns the exit
// code.
func judge(o options, pf passingFile, rep report, filtered, trusted bool) int {
	v := compare(pf.specs, rep, filtered)
	printVerdict(os.Stdout, o.passing, len(pf.specs), v, rep)
	trusted = trusted && len(rep.suiteFailures) == 0

	if o.update {
		if !trusted {
			fmt.Fprintf(os.Stderr, "critest: the run went wrong; %s left as it was\n", o.passing)
			return exitTrouble
		}
		next := updated(pf, v, rep)
		if err := writePassing(o.passing, next); err != nil {
			fmt.Fprintf(os.Stderr, "critest: %v\n", err)
			return exitTrouble
		}
		fmt.Printf("critest: wrote %s: %d specs (%d added, %d dropped)\n",
			o.passing, len(next.specs), len(v.newlyPassing), len(v.regressed)+len(v.missing))
		return exitOK
	}
	switch {
	case len(rep.suiteFailures) > 0:
		return exitTrouble
	case !v.ok():
		return exitRatchet
	}
	return exitOK
}

// printVerdict prints the run's problems and news, most important last so
// that they sit just above the summary line.
func printVerdict(w io.Writer, passingPath string, listed int, v verdict, rep report) {
	if len(v.newlyPassing) > 0 {
		fmt.Fprintf(w, "critest: %d newly passing — add them to %s (or run with -update):\n", len(v.newlyPassing), passingPath)
		for _, name := range v.newlyPassing {
			fmt.Fprintf(w, "    %s\n", name)
		}
	}
	if len(v.unchecked) > 0 {
		fmt.Fprintf(w, "critest: %d listed specs left out by the filter, not checked\n", len(v.unchecked))
	}
	for _, s := range v.missing {
		fmt.Fprintf(w, "critest: NOT RUN, listed in %s (%s): %s\n", passingPath, s.outcome, s.name)
		if s.message != "" {
			fmt.Fprintf(w, "    %s\n", s.message)
		}
	}
	for _, s := range v.regressed {
		fmt.Fprintf(w, "critest: FAILED, listed in %s: %s\n", passingPath, s.name)
		if s.message != "" {
			fmt.Fprintf(w, "    %s\n", s.message)
		}
	}
	for _, f := range rep.suiteFailures {
		fmt.Fprintf(w, "critest: suite failure: %s\n", f)
	}
	if v.ok() && len(rep.suiteFailures) == 0 {
		fmt.Fprintf(w, "critest: ratchet holds: the %d checked specs of %s passed\n", listed-len(v.unchecked), passingPath)
	}
}
