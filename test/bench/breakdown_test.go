package main

import (
	"slices"
	"testing"

	"github.com/skiffrt/skiff/test/bench/report"
)

func TestParseSpan(t *testing.T) {
	tests := []struct {
		line string
		name string
		ms   float64
		ok   bool
	}{
		{`time=T level=DEBUG msg=span sandbox_id=abc span=cni.add ms=61.25`, "cni.add", 61.25, true},
		{`time=T level=DEBUG msg="CRI call" method=/runtime.v1.RuntimeService/RunPodSandbox code=OK duration=123.5ms`, "rpc RunPodSandbox", 123.5, true},
		{`time=T level=DEBUG msg="CRI call" method=/runtime.v1.ImageService/PullImage code=OK duration=850µs`, "rpc PullImage", 0.85, true},
		{`time=T level=INFO msg="pod sandbox ready" span=x ms=1`, "", 0, false},
		{`time=T level=DEBUG msg=span span=x ms=bad`, "", 0, false},
	}
	for _, tt := range tests {
		name, ms, ok := parseSpan(tt.line)
		if ok != tt.ok || (ok && (name != tt.name || ms != tt.ms)) {
			t.Errorf("parseSpan(%q) = %q, %v, %v; want %q, %v, %v", tt.line, name, ms, ok, tt.name, tt.ms, tt.ok)
		}
	}
}

func TestBoundNote(t *testing.T) {
	b := breakdown{order: []string{"cni.add"}, ms: map[string][]float64{"cni.add": {200, 230, 260}}}
	for _, tt := range []struct {
		name       string
		skiff, ref float64
		want       string // the note; "" for none
	}{
		{"bound above the target", 350, 560, "pod start, serial, p50: target ≤ 0.25× missed. The CNI ADD alone, which containerd runs too with the same conflist, takes 230 ms (p50 of cni.add), 0.41× of containerd's 560 ms: more than the whole target of 140 ms, so no change to skiff's own work can meet it; it would take X"},
		{"bound within the target", 300, 1000, "pod start, serial, p50: target ≤ 0.25× missed. The CNI ADD alone, which containerd runs too with the same conflist, takes 230 ms (p50 of cni.add), 0.23× of containerd's 1000 ms: of the target's 250 ms it leaves 20 ms for everything else"},
		{"met", 120, 560, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &report.Run{}
			tab := r.NewTable("t", "skiff", "containerd")
			f := report.Figure{Key: "pod_start_w1_p50", Title: "pod start, serial, p50", Unit: "ms", Goal: 0.25}
			tab.Set(f, "skiff", tt.skiff)
			tab.Set(f, "containerd", tt.ref)
			bound{f.Key, "cni.add", "The CNI ADD", "X"}.note(r, tab, b)
			bound{"absent", "cni.add", "The CNI ADD", "X"}.note(r, tab, b)
			bound{f.Key, "absent", "Nothing", "X"}.note(r, tab, b)
			var want []string
			if tt.want != "" {
				want = []string{tt.want}
			}
			if !slices.Equal(r.Notes, want) {
				t.Errorf("notes\n%q, want\n%q", r.Notes, want)
			}
		})
	}
}
