package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/skiffrt/skiff/internal/testutil/testimage"
)

func TestRunServesUntilCancelled(t *testing.T) {
	bb, err := testimage.BusyboxPath()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr strings.Builder
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"--addr", "127.0.0.1:0", "--busybox", bb}, pw, &stderr)
		pw.Close()
	}()

	lines := map[string]string{}
	var addr string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		if a, ok := strings.CutPrefix(line, "ready "); ok {
			addr = a
			break
		}
		orig, local, ok := strings.Cut(line, " -> ")
		if !ok {
			t.Fatalf("unexpected line %q", line)
		}
		lines[orig] = local
	}
	if addr == "" || strings.HasSuffix(addr, ":0") {
		t.Fatalf("ready line with address %q; stderr: %s", addr, stderr.String())
	}
	go io.Copy(io.Discard, pr) //nolint:errcheck // drain until the pipe closes
	if want := addr + "/e2e-test-images/busybox:1.29-2"; lines[testimage.E2EBusybox] != want {
		t.Errorf("%s -> %q, want %q", testimage.E2EBusybox, lines[testimage.E2EBusybox], want)
	}
	resp, err := http.Get("http://" + addr + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /v2/: %s", resp.Status)
	}

	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("exit code %d; stderr: %s", c, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still serving 10s after cancel")
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		code int
	}{
		{[]string{"--bogus"}, 2},
		{[]string{"extra"}, 2},
		{[]string{"--addr", "0.0.0.0:0", "--busybox", "/nonexistent"}, 1},
		{[]string{"-h"}, 0},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errOut strings.Builder
			if got := run(context.Background(), tc.args, &out, &errOut); got != tc.code {
				t.Errorf("exit %d, want %d; stderr: %s", got, tc.code, errOut.String())
			}
		})
	}
}
