package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestReadReport(t *testing.T) {
	tests := []struct {
		name          string
		file          string
		specs         []specResult
		suiteFailures []string
		pass, fail    int
		skip          int
	}{
		{
			name: "mixed outcomes",
			file: "testdata/report-mixed.json",
			specs: []specResult{
				{name: "[k8s.io] Runtime info runtime should support returning runtime info runtime should return version info [Conformance]", outcome: passed},
				{name: "[k8s.io] PodSandbox runtime should support basic operations on PodSandbox runtime should support running PodSandbox [Conformance]", outcome: failed, message: "Unexpected error: <*status.Error>: rpc error: code = Unimplemented desc = method RunPodSandbox not implemented"},
				{name: "[k8s.io] AppArmor runtime should support apparmor field should enforce a apparmor_profile blocking writes", outcome: skipped, message: "AppArmor is disabled on this host"},
				{name: "[k8s.io] Image benchmark about operations on Image benchmark about listing Image", outcome: notRun},
				{name: "[k8s.io] Streaming should support attach [Conformance]", outcome: failed, message: "A spec timeout occurred"},
				{name: "[k8s.io] Idempotence StopContainer should not return an error if not found", outcome: skipped},
			},
			pass: 1, fail: 2, skip: 3,
		},
		{
			name: "failed before suite",
			file: "testdata/report-beforesuite-failed.json",
			specs: []specResult{
				{name: "[k8s.io] Runtime info runtime should support returning runtime info runtime should return version info [Conformance]", outcome: notRun},
			},
			suiteFailures: []string{"SynchronizedBeforeSuite failed: connect to runtime: context deadline exceeded"},
			skip:          1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := readReport(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.specs, tt.specs) {
				t.Errorf("specs:\n got %+v\nwant %+v", r.specs, tt.specs)
			}
			if !reflect.DeepEqual(r.suiteFailures, tt.suiteFailures) {
				t.Errorf("suite failures: got %q, want %q", r.suiteFailures, tt.suiteFailures)
			}
			p, f, s := r.counts()
			if p != tt.pass || f != tt.fail || s != tt.skip {
				t.Errorf("counts = %d, %d, %d; want %d, %d, %d", p, f, s, tt.pass, tt.fail, tt.skip)
			}
		})
	}
}

func TestParseReportErrors(t *testing.T) {
	tests := []struct {
		name, input, want string
	}{
		{"not JSON", "FAIL", "not a ginkgo JSON report"},
		{"an object, not a list", `{"SpecReports": []}`, "not a ginkgo JSON report"},
		{"unknown state", `[{"SpecReports": [{"LeafNodeType": "It", "State": "weird"}]}]`, `unknown spec state "weird"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseReport(strings.NewReader(tt.input))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestReadReportMissing(t *testing.T) {
	if _, err := readReport("testdata/no-such-report.json"); err == nil {
		t.Fatal("no error for a missing report")
	}
}

func TestToOutcome(t *testing.T) {
	tests := []struct {
		state    string
		attempts int
		want     outcome
	}{
		{"passed", 1, passed},
		{"failed", 1, failed},
		{"panicked", 1, failed},
		{"timedout", 1, failed},
		{"interrupted", 1, failed},
		{"aborted", 1, failed},
		{"skipped", 1, skipped},
		{"skipped", 0, notRun},
		{"pending", 0, skipped},
	}
	for _, tt := range tests {
		got, err := toOutcome(tt.state, tt.attempts)
		if err != nil || got != tt.want {
			t.Errorf("toOutcome(%q, %d) = %v, %v; want %v", tt.state, tt.attempts, got, err, tt.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	long := strings.Repeat("x", maxSummary+10)
	tests := []struct{ name, msg, want string }{
		{"one line", "AppArmor is disabled on this host", "AppArmor is disabled on this host"},
		{"first line only", "Expected\n    <int>: 1\nto equal\n    <int>: 2", "Expected"},
		{
			"gomega error dump",
			"Unexpected error:\n    <*fmt.wrapError | 0x2b7711224aa0>: \n    validate service connection: code = Unimplemented\n    {\n        msg: \"x\",\n    }\noccurred",
			"Unexpected error: validate service connection: code = Unimplemented",
		},
		{"blank lines first", "\n\n  timed out  \n", "timed out"},
		{"empty", "", ""},
		{"too long", long, long[:maxSummary] + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summarize(tt.msg); got != tt.want {
				t.Errorf("summarize = %q, want %q", got, tt.want)
			}
		})
	}
}
