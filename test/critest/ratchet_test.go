package main

import (
	"reflect"
	"testing"
)

func TestCompare(t *testing.T) {
	rep := report{specs: []specResult{
		{name: "pass listed", outcome: passed},
		{name: "pass new", outcome: passed},
		{name: "fail listed", outcome: failed, message: "boom"},
		{name: "fail unlisted", outcome: failed},
		{name: "skip listed", outcome: skipped, message: "not here"},
		{name: "filtered listed", outcome: notRun},
		{name: "dup", outcome: passed},
		{name: "dup", outcome: failed, message: "second copy failed"},
	}}
	listed := []string{"dup", "fail listed", "filtered listed", "gone from critest", "pass listed", "skip listed"}
	gone := specResult{name: "gone from critest", outcome: notRun, message: "not in critest's report: renamed or removed from critest?"}

	tests := []struct {
		name     string
		listed   []string
		filtered bool
		want     verdict
	}{
		{
			name:   "full run",
			listed: listed,
			want: verdict{
				regressed: []specResult{
					{name: "dup", outcome: failed, message: "second copy failed"},
					{name: "fail listed", outcome: failed, message: "boom"},
				},
				missing: []specResult{
					{name: "filtered listed", outcome: notRun},
					gone,
					{name: "skip listed", outcome: skipped, message: "not here"},
				},
				newlyPassing: []string{"pass new"},
			},
		},
		{
			name:     "filtered run",
			listed:   listed,
			filtered: true,
			want: verdict{
				regressed: []specResult{
					{name: "dup", outcome: failed, message: "second copy failed"},
					{name: "fail listed", outcome: failed, message: "boom"},
				},
				missing: []specResult{
					gone,
					{name: "skip listed", outcome: skipped, message: "not here"},
				},
				unchecked:    []string{"filtered listed"},
				newlyPassing: []string{"pass new"},
			},
		},
		{
			name:   "nothing listed",
			want:   verdict{newlyPassing: []string{"pass listed", "pass new"}},
			listed: nil,
		},
		{
			name:   "all listed pass",
			listed: []string{"pass listed", "pass new"},
			want:   verdict{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := compare(tt.listed, rep, tt.filtered)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("compare:\n got %+v\nwant %+v", got, tt.want)
			}
			wantOK := len(tt.want.regressed)+len(tt.want.missing) == 0
			if got.ok() != wantOK {
				t.Errorf("ok() = %v, want %v", got.ok(), wantOK)
			}
		})
	}
}

func TestUpdated(t *testing.T) {
	rep := report{specs: []specResult{
		{name: "b passes", outcome: passed},
		{name: "a passes", outcome: passed},
		{name: "c fails", outcome: failed},
		{name: "d filtered", outcome: notRun},
		{name: "e dup", outcome: passed},
		{name: "e dup", outcome: failed},
	}}
	old := passingFile{header: []string{"# kept"}, specs: []string{"c fails", "d filtered", "e dup", "z gone"}}
	tests := []struct {
		name     string
		filtered bool
		want     []string
	}{
		{name: "full run keeps only what passed", want: []string{"a passes", "b passes"}},
		{name: "filtered run keeps what the filter left out", filtered: true, want: []string{"a passes", "b passes", "d filtered"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := compare(old.specs, rep, tt.filtered)
			got := updated(old, v, rep)
			if !reflect.DeepEqual(got.specs, tt.want) {
				t.Errorf("specs = %q, want %q", got.specs, tt.want)
			}
			if !reflect.DeepEqual(got.header, old.header) {
				t.Errorf("header = %q, want %q", got.header, old.header)
			}
		})
	}
}
