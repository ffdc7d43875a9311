package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// outcome is what became of one spec in a run.
type outcome int

const (
	passed  outcome = iota
	failed          // failed, panicked, timed out, interrupted or aborted
	skipped         // Skip() at run time, or pending
	notRun          // never started: filtered out, or the suite stopped first
)

func (o outcome) String() string {
	return [...]string{"passed", "failed", "skipped", "not run"}[o]
}

// specResult is one spec of a report.
type specResult struct {
	name    string // full text: container texts and the It text, space-joined
	outcome outcome
	message string // the failure or skip message, summarized to a line
}

// report is what a critest run produced.
type report struct {
	specs []specResult
	// suiteFailures describes suite-level nodes (BeforeSuite and the like)
	// that did not pass: the run is then not to be trusted.
	suiteFailures []string
}

// counts returns the numbers for the summary line; specs that never
// started count as skipped, as ginkgo counts them.
func (r report) counts() (pass, fail, skip int) {
	for _, s := range r.specs {
		switch s.outcome {
		case passed:
			pass++
		case failed:
			fail++
		default:
			skip++
		}
	}
	return pass, fail, skip
}

// ginkgoReport is the part of a ginkgo v2 JSON report (a list of suite
// reports, github.com/onsi/ginkgo/v2/types.Report) that the runner reads.
// It is declared here so that the main module needs no ginkgo dependency.
type ginkgoReport struct {
	SuiteDescription string
	SpecReports      []struct {
		ContainerHierarchyTexts []string
		LeafNodeType            string // "It", "BeforeSuite", …
		LeafNodeText            string
		State                   string // "passed", "failed", "skipped", …
		NumAttempts             int    // 0: never started
		Failure                 *struct {
			Message string
		}
	}
}

// readReport parses the ginkgo JSON report at path.
func readReport(path string) (report, error) {
	f, err := os.Open(path)
	if err != nil {
		return report{}, err
	}
	defer f.Close()
	r, err := parseReport(f)
	if err != nil {
		return report{}, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// parseReport parses a ginkgo v2 JSON report.
func parseReport(rd io.Reader) (report, error) {
	var suites []ginkgoReport
	if err := json.NewDecoder(rd).Decode(&suites); err != nil {
		return report{}, fmt.Errorf("not a ginkgo JSON report: %w", err)
	}
	var r report
	for _, suite := range suites {
		for _, sr := range suite.SpecReports {
			o, err := toOutcome(sr.State, sr.NumAttempts)
			if err != nil {
				return report{}, err
			}
			msg := ""
			if sr.Failure != nil {
				msg = summarize(sr.Failure.Message)
			}
			if sr.LeafNodeType != "It" {
				if o == failed {
					r.suiteFailures = append(r.suiteFailures, fmt.Sprintf("%s %s: %s", sr.LeafNodeType, sr.State, msg))
				}
				continue
			}
			name := strings.Join(append(append([]string(nil), sr.ContainerHierarchyTexts...), sr.LeafNodeText), " ")
			r.specs = append(r.specs, specResult{name: name, outcome: o, message: msg})
		}
	}
	return r, nil
}

// toOutcome maps a ginkgo SpecState string to an outcome.
func toOutcome(state string, attempts int) (outcome, error) {
	switch state {
	case "passed":
		return passed, nil
	case "failed", "panicked", "timedout", "interrupted", "aborted":
		return failed, nil
	case "skipped":
		if attempts == 0 {
			return notRun, nil
		}
		return skipped, nil
	case "pending":
		return skipped, nil
	}
	return 0, fmt.Errorf("unknown spec state %q", state)
}

// maxSummary bounds a summarized message.
const maxSummary = 300

// summarize turns a ginkgo failure message into one line: its first line,
// and when that only announces what follows ("Unexpected error:"), the next
// line that is not one of gomega's type lines ("<*fmt.wrapError | 0x…>:").
func summarize(msg string) string {
	var parts []string
	for _, l := range strings.Split(msg, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "<") && strings.HasSuffix(l, ":") {
			continue
		}
		parts = append(parts, l)
		if len(parts) == 2 || !strings.HasSuffix(l, ":") {
			break
		}
	}
	s := strings.Join(parts, " ")
	if len(s) > maxSummary {
		n := maxSummary
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + "…"
	}
	return s
}
