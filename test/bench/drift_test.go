package main

import (
	"strings"
	"testing"

	"github.com/skiffrt/skiff/test/bench/figure"
	"github.com/skiffrt/skiff/test/bench/report"
)

func TestNoteDrift(t *testing.T) {
	for _, tt := range []struct {
		name       string
		start, end [2]float64 // skiff, containerd
		want       []string   // the moments noted
	}{
		{"steady", [2]float64{1.0, 1.1}, [2]float64{1.0, 0.9}, nil},
		{"slower for skiff at the start", [2]float64{1.5, 1.0}, [2]float64{1.0, 1.0}, []string{"start"}},
		{"slower for containerd at both", [2]float64{1.0, 1.3}, [2]float64{1.0, 1.4}, []string{"start", "end"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &report.Run{}
			tab := r.NewTable("t", "skiff", "containerd")
			for _, p := range []struct {
				when string
				v    [2]float64
			}{{figure.ProbeStart, tt.start}, {figure.ProbeEnd, tt.end}} {
				f := report.Figure{Key: figure.ProbeKey(p.when), Unit: "ms"}
				tab.Set(f, "skiff", p.v[0])
				tab.Set(f, "containerd", p.v[1])
			}
			noteDrift(r, tab)
			if len(r.Notes) != len(tt.want) {
				t.Fatalf("notes %q; want one for each of %q", r.Notes, tt.want)
			}
			for i, when := range tt.want {
				if !strings.HasPrefix(r.Notes[i], "machine probe at the "+when+" ") {
					t.Errorf("note %d = %q; want one on the probe at the %s", i, r.Notes[i], when)
				}
			}
		})
	}
}

func TestNoteDriftWithoutProbe(t *testing.T) {
	r := &report.Run{}
	noteDrift(r, r.NewTable("t", "skiff", "containerd"))
	if len(r.Notes) != 0 {
		t.Errorf("notes %q for a table without probes", r.Notes)
	}
}
