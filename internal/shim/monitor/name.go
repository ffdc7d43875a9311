package monitor

import (
	"os"
	"path/filepath"
)

// Name is the shim's process name, in its comm and as its argv[0]: the
// long-lived shim is re-executed through /proc/self/exe, which would make
// its comm "exe", so that ps, top and "pgrep -x skiff-shim" could not
// find it.
const Name = "skiff-shim"

// SetProcessName sets the comm of every thread of the process to Name;
// threads made later inherit it. Call it first thing in "run".
func SetProcessName() {
	tasks, _ := filepath.Glob("/proc/self/task/*/comm")
	for _, comm := range tasks {
		// A thread may name any thread of its group; one that has just
		// exited is gone, which is fine.
		_ = os.WriteFile(comm, []byte(Name), 0)
	}
}
