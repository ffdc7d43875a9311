package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestReadPassing(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		header  []string
		specs   []string
		wantErr string
	}{
		{
			name:   "header, specs, comment among them",
			file:   "testdata/passing-ok.txt",
			header: []string{"# critest ratchet", "#   header line two"},
			specs:  []string{"[k8s.io] A spec", "[k8s.io] B spec with spaces around", "[k8s.io] C spec"},
		},
		{
			name:   "only a header",
			file:   "testdata/passing-empty.txt",
			header: []string{"# only a header"},
		},
		{name: "unsorted", file: "testdata/passing-unsorted.txt", wantErr: `line 3: "[k8s.io] A spec" is out of order`},
		{name: "duplicate", file: "testdata/passing-dup.txt", wantErr: `line 3: "[k8s.io] B spec" already listed on line 2`},
		{name: "missing file", file: "testdata/no-such-file.txt", wantErr: "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pf, err := readPassing(tt.file)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(pf.header, tt.header) {
				t.Errorf("header = %q, want %q", pf.header, tt.header)
			}
			if !reflect.DeepEqual(pf.specs, tt.specs) {
				t.Errorf("specs = %q, want %q", pf.specs, tt.specs)
			}
		})
	}
}

func TestWritePassingRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		pf   passingFile
		want string
	}{
		{
			name: "header and specs",
			pf:   passingFile{header: []string{"# one", "#two"}, specs: []string{"a", "b"}},
			want: "# one\n#two\n\na\nb\n",
		},
		{name: "no header", pf: passingFile{specs: []string{"a"}}, want: "a\n"},
		{name: "no specs", pf: passingFile{header: []string{"# h"}}, want: "# h\n\n"},
		{name: "empty", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "passing.txt")
			if err := writePassing(path, tt.pf); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("wrote %q, want %q", b, tt.want)
			}
			back, err := readPassing(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(back.header)+len(tt.pf.header) > 0 && !reflect.DeepEqual(back.header, tt.pf.header) {
				t.Errorf("header read back = %q, want %q", back.header, tt.pf.header)
			}
			if len(back.specs)+len(tt.pf.specs) > 0 && !reflect.DeepEqual(back.specs, tt.pf.specs) {
				t.Errorf("specs read back = %q, want %q", back.specs, tt.pf.specs)
			}
			if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
				t.Errorf("temporary file left behind: %v", entries)
			}
		})
	}
}

// TestPassingFileIsValid keeps the checked-in ratchet file well formed,
// so that a hand edit that breaks it fails here rather than in a run.
func TestPassingFileIsValid(t *testing.T) {
	pf, err := readPassing("passing.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(pf.header) == 0 {
		t.Error("passing.txt lost its header comment")
	}
}
