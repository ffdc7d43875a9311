package monitor

import "testing"

func TestCandidates(t *testing.T) {
	env := []string{"HOME=/root", "PATH=/ignored", "PATH=/usr/bin:bin:/sbin"}
	for _, tc := range []struct {
		name, cwd string
		want      []string
	}{
		{"ls", "/work", []string{"/usr/bin/ls", "/work/bin/ls", "/sbin/ls"}},
		{"./run.sh", "/work", []string{"/work/run.sh"}},
		{"/bin/sh", "/work", []string{"/bin/sh"}},
		{"../x", "/a/b", []string{"/a/x"}},
	} {
		got := candidates(tc.name, env, tc.cwd)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
			}
		}
	}
	if got := candidates("ls", []string{"HOME=/"}, "/"); len(got) != 0 {
		t.Errorf("without PATH: %q", got)
	}
}
