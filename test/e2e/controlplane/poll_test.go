//go:build e2e

package controlplane

import (
	"testing"
	"time"
)

// poll calls cond every interval until it holds or timeout has passed,
// and returns whether it held and cond's last word. cond runs at least
// once; poll gives up after the first call that ends past the deadline.
func poll(timeout, interval time.Duration, cond func() (bool, string)) (bool, string) {
	deadline := time.Now().Add(timeout)
	for {
		ok, last := cond()
		if ok || time.Now().After(deadline) {
			return ok, last
		}
		time.Sleep(interval)
	}
}

// eventually polls cond every second until it holds, failing the test
// after timeout with what and cond's last word.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	if ok, last := poll(timeout, time.Second, cond); !ok {
		t.Fatalf("%s: not after %s: %s", what, timeout, last)
	}
}
