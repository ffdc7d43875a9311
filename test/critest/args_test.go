package main

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestSuiteRunArgs(t *testing.T) {
	r := suiteRun{
		sock: "/tmp/s/run/skiff.sock", parallel: 2, timeout: 30 * time.Minute,
		focus: []string{"Runtime info", "Image"}, skip: []string{"digest"},
		extra:  []string{"-ginkgo.v"},
		report: "/a/r.json", junit: "/a/j.xml",
	}
	want := []string{
		"-runtime-endpoint=unix:///tmp/s/run/skiff.sock",
		"-image-endpoint=unix:///tmp/s/run/skiff.sock",
		"-parallel=2",
		"-ginkgo.timeout=30m0s",
		"-ginkgo.json-report=/a/r.json",
		"-ginkgo.junit-report=/a/j.xml",
		"-ginkgo.no-color",
		"-ginkgo.focus=Runtime info",
		"-ginkgo.focus=Image",
		"-ginkgo.skip=digest",
		"-ginkgo.v",
	}
	if got := r.args(); !reflect.DeepEqual(got, want) {
		t.Errorf("args:\n got %q\nwant %q", got, want)
	}

	// Serial: no -parallel at all, which ginkgo would refuse.
	r.parallel = 1
	want = append(want[:2:2], want[3:]...)
	if got := r.args(); !reflect.DeepEqual(got, want) {
		t.Errorf("args with parallel 1:\n got %q\nwant %q", got, want)
	}
}

func TestSuiteRunFiltered(t *testing.T) {
	tests := []struct {
		name string
		r    suiteRun
		want bool
	}{
		{"full run", suiteRun{}, false},
		{"verbose only", suiteRun{extra: []string{"-ginkgo.v"}}, false},
		{"focus", suiteRun{focus: []string{"x"}}, true},
		{"skip", suiteRun{skip: []string{"x"}}, true},
		{"focus as extra arg", suiteRun{extra: []string{"-ginkgo.focus=x"}}, true},
		{"label filter as extra arg", suiteRun{extra: []string{"--ginkgo.label-filter", "x"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.filtered(); got != tt.want {
				t.Errorf("filtered() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSkiffdArgs(t *testing.T) {
	p := newSkiffdPaths("/tmp/s")
	got := skiffdArgs(p, "127.0.0.1:5000", []string{"docker.io", "gcr.io"}, []string{"--cgroup-manager", "cgroupfs"})
	want := []string{
		"--config", "/tmp/s/skiff.toml",
		"--root", "/tmp/s/root",
		"--run-root", "/tmp/s/run",
		"--listen", "/tmp/s/run/skiff.sock",
		"--log-level", "debug",
		"--registry-mirror", "docker.io=http://127.0.0.1:5000",
		"--registry-mirror", "gcr.io=http://127.0.0.1:5000",
		"--insecure-registry", "127.0.0.1:5000",
		"--cgroup-manager", "cgroupfs",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("skiffdArgs:\n got %q\nwant %q", got, want)
	}
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"-focus", "a", "-focus", "b", "-skip", "c", "-critest-arg", "-ginkgo.v", "-parallel", "1", "--", "-ginkgo.trace"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(o.focus, []string{"a", "b"}) || !reflect.DeepEqual(o.skip, []string{"c"}) {
		t.Errorf("focus %q, skip %q", o.focus, o.skip)
	}
	if want := []string{"-ginkgo.v", "-ginkgo.trace"}; !reflect.DeepEqual(o.critestArgs, want) {
		t.Errorf("critest args %q, want %q", o.critestArgs, want)
	}
	if o.parallel != 1 {
		t.Errorf("parallel = %d", o.parallel)
	}
	if _, err := parseFlags([]string{"-parallel", "0"}, io.Discard); err == nil {
		t.Error("-parallel 0 accepted")
	}
}

func TestUnescapeOctal(t *testing.T) {
	tests := map[string]string{
		`/plain`:              "/plain",
		`/with\040space`:      "/with space",
		`/tab\011and\134back`: "/tab\tand\\back",
		`/trailing\04`:        `/trailing\04`,
	}
	for in, want := range tests {
		if got := unescapeOctal(in); got != want {
			t.Errorf("unescapeOctal(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	if err := os.WriteFile(path, []byte("1\n2\n3\n4\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		n    int
		want string
	}{{2, "3\n4"}, {4, "1\n2\n3\n4"}, {10, "1\n2\n3\n4"}}
	for _, tt := range tests {
		if got := tail(path, tt.n); got != tt.want {
			t.Errorf("tail(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
	if got := tail(filepath.Join(t.TempDir(), "none"), 3); got != "" {
		t.Errorf("tail of a missing file = %q", got)
	}
}
