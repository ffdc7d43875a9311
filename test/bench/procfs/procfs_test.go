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
