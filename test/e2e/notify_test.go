//go:build e2e

package e2e

import (
	"net"
	"path/filepath"
	"testing"
	"time"
)

// TestNotifiesSystemdWhenServing checks what skiffd.service's Type=notify
// relies on: skiffd sends READY=1 to $NOTIFY_SOCKET, and only once its CRI
// socket answers.
func TestNotifiesSystemdWhenServing(t *testing.T) {
	dir := newDaemonDir(t)
	path := filepath.Join(dir, "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", path)

	// On READY=1, dial the CRI socket at once: it must already listen.
	type ready struct {
		msg     string
		dialErr error
	}
	got := make(chan ready, 1)
	socket := filepath.Join(dir, "run", "skiff.sock")
	go func() {
		buf := make([]byte, 256)
		conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			got <- ready{msg: "read: " + err.Error()}
			return
		}
		c, err := net.Dial("unix", socket)
		if err == nil {
			c.Close()
		}
		got <- ready{msg: string(buf[:n]), dialErr: err}
	}()
	d := startDaemonIn(t, dir, daemonArgs)
	r := <-got
	if r.msg != "READY=1" {
		t.Fatalf("notify socket got %q, want READY=1\nstderr:\n%s", r.msg, d.stderr)
	}
	if r.dialErr != nil {
		t.Errorf("CRI socket not listening when READY=1 arrived: %v", r.dialErr)
	}
}
