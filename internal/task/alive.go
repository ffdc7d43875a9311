package task

import (
	"bufio"
	"io"
	"os"
	"strings"
)

// acceptCon is the flag of a listening socket in /proc/net/unix.
const acceptCon = "00010000"

// Alive counts the shims that listen on their socket, from the kernel's
// table of unix sockets: a shim killed without cleaning up leaves its
// socket file behind, but no listener. It asks no shim anything.
func (r *Runner) Alive() (int, error) {
	f, err := os.Open("/proc/net/unix")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return countListeners(f, r.SocketDir+"/")
}

// countListeners counts the listening sockets of /proc/net/unix (read
// from rd) whose path starts with prefix.
func countListeners(rd io.Reader, prefix string) (int, error) {
	// Num RefCount Protocol Flags Type St Inode Path
	n := 0
	sc := bufio.NewScanner(rd)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 8 && f[3] == acceptCon && strings.HasPrefix(f[7], prefix) {
			n++
		}
	}
	return n, sc.Err()
}
