package procfs

import (
	"os"
	"testing"
)

func TestSelf(t *testing.T) {
	pid := os.Getpid()
	for i := 0; i < 2e7; i++ { // burn a little CPU so the ticks are not 0
		_ = i * i
	}
	own, err := CPUTime(pid)
	if err != nil {
		t.Fatal(err)
	}
	all, err := CPUTimeWithChildren(pid)
	if err != nil {
		t.Fatal(err)
	}
	if all < own {
		t.Errorf("CPU with children %v < own %v", all, own)
	}
	pss, err := PSS(pid)
	if err != nil || pss <= 0 {
		t.Errorf("PSS = %d, %v", pss, err)
	}
	rss, err := RSS(pid)
	if err != nil || rss < pss {
		t.Errorf("RSS = %d, %v; PSS %d", rss, err, pss)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if !SameExe(pid, exe) {
		t.Errorf("SameExe(self, %s) = false", exe)
	}
	procs, err := All()
	if err != nil {
		t.Fatal(err)
	}
	var me *Proc
	for i := range procs {
		if procs[i].PID == pid {
			me = &procs[i]
		}
	}
	if me == nil || me.PPID != os.Getppid() {
		t.Fatalf("All() lacks this process or its parent: %+v", me)
	}
	if kids := Children(procs, []int{me.PPID}); len(PIDs(kids)) == 0 {
		t.Error("Children of the parent is empty")
	}
}

func TestCPUBusy(t *testing.T) {
	a, err := parseCPULine("cpu  100 0 50 800 50 0 0 0 0 0")
	if err != nil {
		t.Fatal(err)
	}
	b, err := parseCPULine("cpu  160 0 90 880 70 0 0 0 30 0")
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Busy(b); got != 0.5 { // 100 busy of 200 ticks
		t.Errorf("Busy = %v, want 0.5", got)
	}
	if got := a.Busy(a); got != 0 {
		t.Errorf("Busy over no time = %v, want 0", got)
	}
	for _, bad := range []string{"", "intr 1 2", "cpu 1 2 3", "cpu 1 2 3 x 5 6 7 8"} {
		if _, err := parseCPULine(bad); err == nil {
			t.Errorf("parseCPULine(%q) succeeded", bad)
		}
	}
	if _, err := ReadCPU(); err != nil {
		t.Errorf("ReadCPU: %v", err)
	}
}
