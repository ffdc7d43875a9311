package report

import (
	"fmt"
	"time"
)

// Figure is one measured quantity.
type Figure struct {
	Key   string `json:"key"`   // stable name in the JSON, e.g. "pod_start_serial_p50"
	Title string `json:"title"` // what the table shows
	Unit  string `json:"unit"`  // ms, s, MB, count
	// Goal is the largest acceptable ratio of the measured subject's
	// value to the reference's; 0 means none.
	Goal float64 `json:"goal,omitempty"`
	// Zero asks that the measured subject's value be 0 (an error count).
	Zero bool `json:"zero,omitempty"`
}

// Row is a figure's values, by subject.
type Row struct {
	Figure
	Values map[string]float64 `json:"values"`
}

// Table is one suite's figures for a measured subject and its reference.
// It is filled by one goroutine.
type Table struct {
	Title    string   `json:"title"`
	Subjects []string `json:"subjects"` // [measured, reference]
	Rows     []Row    `json:"rows"`
}

// Set records subject's value of f; the first Set of a figure fixes its
// place in the table.
func (t *Table) Set(f Figure, subject string, v float64) {
	for i := range t.Rows {
		if t.Rows[i].Key == f.Key {
			t.Rows[i].Values[subject] = v
			return
		}
	}
	t.Rows = append(t.Rows, Row{Figure: f, Values: map[string]float64{subject: v}})
}

// Row returns the row of the figure key.
func (t *Table) Row(key string) (Row, bool) {
	for _, r := range t.Rows {
		if r.Key == key {
			return r, true
		}
	}
	return Row{}, false
}

// Ratio returns measured/reference for row r, and false when a value is
// missing or the reference is 0.
func (t *Table) Ratio(r Row) (float64, bool) {
	m, ok1 := r.Values[t.Subjects[0]]
	ref, ok2 := r.Values[t.Subjects[1]]
	if !ok1 || !ok2 || ref == 0 {
		return 0, false
	}
	return m / ref, true
}

// Met reports whether row r meets its goal; ok is false for a row with
// no goal or a missing value.
func (t *Table) Met(r Row) (met, ok bool) {
	if r.Zero {
		v, ok := r.Values[t.Subjects[0]]
		return v == 0, ok
	}
	if r.Goal == 0 {
		return false, false
	}
	ratio, ok := t.Ratio(r)
	return ok && ratio <= r.Goal, ok
}

// Distribution is the raw samples behind latency figures, by subject.
type Distribution struct {
	Title   string               `json:"title"`
	Unit    string               `json:"unit"`
	Samples map[string][]float64 `json:"samples"`
}

// Section is free markdown under a heading, such as a breakdown.
type Section struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

// Run is everything one benchmark run found.
type Run struct {
	Date     time.Time         `json:"date"`
	Machine  string            `json:"machine"`
	Commit   string            `json:"commit"`
	Versions map[string]string `json:"versions"`
	Duration time.Duration     `json:"duration_ns"`
	Tables   []*Table          `json:"tables"`
	Dists    []*Distribution   `json:"distributions"`
	Sections []Section         `json:"sections"`
	Notes    []string          `json:"notes,omitempty"`
}

// NewTable adds a table for measured against reference.
func (r *Run) NewTable(title, measured, reference string) *Table {
	t := &Table{Title: title, Subjects: []string{measured, reference}}
	r.Tables = append(r.Tables, t)
	return t
}

// AddSamples records subject's samples of the distribution titled title.
func (r *Run) AddSamples(title, unit, subject string, samples []float64) {
	for _, d := range r.Dists {
		if d.Title == title {
			d.Samples[subject] = samples
			return
		}
	}
	r.Dists = append(r.Dists, &Distribution{Title: title, Unit: unit, Samples: map[string][]float64{subject: samples}})
}

// Notef adds a line to the run's notes (errors that did not stop it).
func (r *Run) Notef(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}
