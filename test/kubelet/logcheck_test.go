//go:build kubelet

package kubelet

import (
	"os"
	"regexp"
	"strings"
	"time"
)

// knownError is a kubelet error line that is not caused by skiff, and why.
type knownError struct {
	match  *regexp.Regexp
	reason string
}

// knownErrors are the kubelet's error lines on this host that skiff does
// not cause. Every other error line fails the test.
var knownErrors = []knownError{
	{regexp.MustCompile(`"Skipping pod synchronization" err="\[?(container runtime status check may not have completed yet|PLEG is not healthy: pleg has yet to be successful)`),
		"the kubelet's first sync loops run before its first runtime status check and relist; it logs this at start-up with any runtime"},
	{regexp.MustCompile(`err="rpc error: code = Canceled desc = context canceled"`),
		"the kubelet cancelled its own call: a pod update interrupts the sync in flight"},
	{regexp.MustCompile(`"Image garbage collection failed once\. Stats initialization may not have completed yet" err="invalid capacity 0 on image filesystem"`),
		"the kubelet's first image GC runs before cAdvisor's first housekeeping, so the size of the filesystem skiff's ImageFsInfo names is not known yet (\"unable to find data in memory cache\" at -v=2); it retries every 5 minutes"},
	{regexp.MustCompile(`"Failed to read data from checkpoint" err="checkpoint is not found" checkpoint="kubelet_internal_checkpoint"`),
		"the device manager's checkpoint does not exist yet in a fresh --root-dir"},
	{regexp.MustCompile(`"Failed to ensure process in container with oom score" err="failed to find pid namespace of init process"`),
		"this VM: /proc/1/ns/pid cannot be read even by root, so the kubelet cannot tell whether it runs in the host's pid namespace"},
	{regexp.MustCompile(`"eviction manager: failed to check if we have separate container filesystem\. Ignoring\." err="no imagefs label for configured runtime"`),
		"the kubelet's cAdvisor knows image filesystem labels for cri-o only (pkg/kubelet/cadvisor/helpers_linux.go); containerd gets this line too"},
	{regexp.MustCompile(`"failed to check if node is newer; using informer node" err="strconv.ParseInt: parsing \\"\\": invalid syntax"`),
		"a standalone kubelet has no Node object from an API server, hence no resourceVersion to compare (pkg/kubelet/kubelet_nodecache.go)"},
	{regexp.MustCompile(`"Error syncing pod, skipping" err="failed to \\"StartContainer\\" for \\"crash\\" with CrashLoopBackOff`),
		"the crash pod's container fails on purpose; the kubelet reports each back-off"},
	{regexp.MustCompile(`"Exec cmd from runtime service failed" err="rpc error: code = Unimplemented`),
		"skiffd's Exec RPC answers Unimplemented until the streaming issue (9) lands"},
}

// klogError matches a klog error line: E<mmdd> <hh:mm:ss.micro> ...
var klogError = regexp.MustCompile(`^E(\d{4} \d{2}:\d{2}:\d{2}\.\d{6})\s`)

// window is a time span in which errors of a kind are expected, e.g.
// while the test holds skiffd down.
type window struct {
	from, to time.Time
	reason   string
}

var (
	// removeContainer is the kubelet starting to remove a container.
	removeContainer = regexp.MustCompile(`"RemoveContainer" containerID="([0-9a-f]{64})"`)
	// statusNotFound is the kubelet asking for the status of a container
	// the runtime does not have.
	statusNotFound = regexp.MustCompile(`"ContainerStatus from runtime service failed" err="rpc error: code = NotFound .* containerID="([0-9a-f]{64})"`)
)

// unexplainedErrors returns the kubelet's error lines in log that neither
// a knownError nor a window explains.
//
// One kind needs the lines before it: the kubelet may remove a dead
// container twice (once for each of two PLEG events of its pod, from a
// cached pod status), and the second time it first asks for the status
// of a container that is gone. NotFound is the right answer then, as
// containerd and cri-o give it.
func unexplainedErrors(log string, windows []window) ([]string, error) {
	b, err := os.ReadFile(log)
	if err != nil {
		return nil, err
	}
	removed := map[string]bool{}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if m := removeContainer.FindStringSubmatch(line); m != nil {
			removed[m[1]] = true
		}
		m := klogError.FindStringSubmatch(line)
		if m == nil || known(line) || inWindow(m[1], windows) {
			continue
		}
		if nf := statusNotFound.FindStringSubmatch(line); nf != nil && removed[nf[1]] {
			continue
		}
		out = append(out, line)
	}
	return out, nil
}

func known(line string) bool {
	for _, k := range knownErrors {
		if k.match.MatchString(line) {
			return true
		}
	}
	return false
}

// inWindow reports whether a klog timestamp (local time, no year) falls in
// one of the windows.
func inWindow(stamp string, windows []window) bool {
	now := time.Now()
	ts, err := time.ParseInLocation("0102 15:04:05.000000", stamp, time.Local)
	if err != nil {
		return false
	}
	ts = ts.AddDate(now.Year(), 0, 0)
	for _, w := range windows {
		if !ts.Before(w.from) && !ts.After(w.to) {
			return true
		}
	}
	return false
}
