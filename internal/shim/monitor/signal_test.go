package monitor

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestCgroupPids(t *testing.T) {
	write := func(dir, procs string) string {
		t.Helper()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(procs), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	root := t.TempDir()
	pids := write(filepath.Join(root, "pids", "c1"), "10\n11\n")
	write(filepath.Join(pids, "sub"), "12\n")
	memory := write(filepath.Join(root, "memory", "c1"), "99\n")
	unified := write(filepath.Join(root, "unified", "c1"), "20\n")
	for _, tc := range []struct {
		name  string
		paths map[string]string
		want  []int
	}{
		{"v1: pids, with a sub-cgroup", map[string]string{"memory": memory, "pids": pids, "": unified}, []int{10, 11, 12}},
		{"v1 without pids", map[string]string{"memory": memory}, []int{99}},
		{"v2", map[string]string{"": unified}, []int{20}},
		{"none", nil, nil},
		{"removed", map[string]string{"pids": filepath.Join(root, "gone")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := cgroupPids(tc.paths)
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("cgroupPids = %v, want %v", got, tc.want)
			}
		})
	}
}
