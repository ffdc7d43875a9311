package netns

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// DialLoopback connects to TCP port on the loopback address, 127.0.0.1
// then ::1, of the network namespace pinned at path, or of this
// process's own when path is empty (a host-network pod). The socket is
// opened inside the namespace, by this process, and is used from any
// goroutine afterwards: no helper process (socat, nsenter) is involved.
func DialLoopback(ctx context.Context, path string, port uint16) (net.Conn, error) {
	var conn net.Conn
	dial := func() error {
		var errs []error
		for _, ip := range []string{"127.0.0.1", "::1"} {
			// A literal address makes the dialer open and connect the
			// socket on the calling goroutine, hence on Do's thread, in
			// the namespace; a name would race its addresses on other
			// goroutines, in this process's namespace.
			var d net.Dialer
			c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(ip, strconv.Itoa(int(port))))
			if err == nil {
				conn = c
				return nil
			}
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	}
	if path == "" {
		return conn, dial()
	}
	return conn, Do(path, dial)
}

// UDPBound reports whether a UDP socket (IPv4 or IPv6) is bound to port
// in the network namespace pinned at path, or in this process's own when
// path is empty.
func UDPBound(path string, port uint16) bool {
	found := false
	look := func() error {
		for _, f := range []string{"udp", "udp6"} {
			// thread-self: the namespace of this (Do's) thread, where
			// /proc/self/net would show the main thread's.
			if boundIn("/proc/thread-self/net/"+f, port) {
				found = true
			}
		}
		return nil
	}
	if path == "" {
		look()
	} else if err := Do(path, look); err != nil {
		return false
	}
	return found
}

// boundIn reports whether the /proc/net/{udp,udp6} table at file lists
// a socket whose local port is port.
func boundIn(file string, port uint16) bool {
	f, err := os.Open(file)
	if err != nil {
		return false
	}
	defer f.Close()
	want := fmt.Sprintf(":%04X", port)
	sc := bufio.NewScanner(f)
	sc.Scan() // the header
	for sc.Scan() {
		// "  0: 0100007F:0035 00000000:0000 07 …": sl, local address, …
		fields := strings.Fields(sc.Text())
		if len(fields) > 1 && strings.HasSuffix(fields[1], want) {
			return true
		}
	}
	return false
}
