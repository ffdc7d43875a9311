package report

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTableRatioAndGoal(t *testing.T) {
	tab := &Table{Subjects: []string{"a", "b"}}
	fast := Figure{Key: "k1", Title: "t1", Unit: "ms", Goal: 0.25}
	slow := Figure{Key: "k2", Title: "t2", Unit: "ms", Goal: 0.25}
	errs := Figure{Key: "k3", Title: "t3", Unit: "count", Zero: true}
	none := Figure{Key: "k4", Title: "t4", Unit: "MB"}
	tab.Set(fast, "a", 10)
	tab.Set(fast, "b", 100)
	tab.Set(slow, "a", 50)
	tab.Set(slow, "b", 100)
	tab.Set(errs, "a", 0)
	tab.Set(none, "a", 1)
	tests := []struct {
		row          int
		met, hasGoal bool
	}{
		{0, true, true},
		{1, false, true},
		{2, true, true},
		{3, false, false},
	}
	for _, tt := range tests {
		met, ok := tab.Met(tab.Rows[tt.row])
		if met != tt.met || ok != tt.hasGoal {
			t.Errorf("row %d (%s): Met = %v, %v; want %v, %v", tt.row, tab.Rows[tt.row].Key, met, ok, tt.met, tt.hasGoal)
		}
	}
	if _, ok := tab.Ratio(tab.Rows[3]); ok {
		t.Error("ratio of a row without a reference value")
	}
}

func TestSplice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bench.md")
	if err := Splice(path, "one"); err != nil {
		t.Fatal(err)
	}
	hand := "# Title\n\nby hand\n\n"
	raw, _ := os.ReadFile(path)
	if err := os.WriteFile(path, []byte(hand+string(raw)+"\nafter\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Splice(path, "two"); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := hand + BeginMarker + "\ntwo\n" + EndMarker + "\n\nafter\n"
	if string(got) != want {
		t.Errorf("after splice:\n%s\nwant:\n%s", got, want)
	}
}

func TestSVGIsWellFormed(t *testing.T) {
	r := &Run{}
	r.NewTable("t", "a", "b")
	r.AddSamples("pod start", "ms", "a", []float64{1, 2, 3, 40})
	r.AddSamples("pod start", "ms", "b", []float64{10, 20, 300})
	r.AddSamples("exec", "ms", "a", []float64{0.5})
	svg := r.SVG()
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		_, err := d.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("SVG does not parse: %v\n%s", err, svg)
			}
			break
		}
	}
	if n := strings.Count(svg, "<polyline"); n != 3 {
		t.Errorf("%d lines, want 3", n)
	}
}
