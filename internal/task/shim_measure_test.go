package task

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// memory is a process's memory from /proc/pid/smaps_rollup, in KiB.
type memory struct {
	rss, pss, pssAnon, private int
}

func readMemory(t *testing.T, pid int) memory {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		t.Fatal(err)
	}
	var m memory
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.Atoi(f[1])
		switch f[0] {
		case "Rss:":
			m.rss = v
		case "Pss:":
			m.pss = v
		case "Pss_Anon:":
			m.pssAnon = v
		case "Private_Clean:", "Private_Dirty:":
			m.private += v
		}
	}
	return m
}

func (m memory) String() string {
	return fmt.Sprintf("RSS %5.2f MiB  PSS %5.2f MiB  PSS anon %5.2f MiB  private %5.2f MiB",
		float64(m.rss)/1024, float64(m.pss)/1024, float64(m.pssAnon)/1024, float64(m.private)/1024)
}

// TestMeasure logs the shim's memory with 1 and 4 shims alive (each with
// a running container; idle, then after 10 and 200 execs) and the create
// → first log line and exec latencies, median of 10. Run with -v to see
// them.
func TestMeasure(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement")
	}
	requireKernel(t)
	var shims []int
	var clients []*client
	for n := range 4 {
		b := newBundle(t, "sleep", "1000")
		st, c := b.start(t)
		if _, err := c.start(ctx(t)); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.kill(ctx(t), syscall.SIGKILL, false); c.wait(ctx(t)) })
		shims, clients = append(shims, st.ShimPid), append(clients, c)
		if n == 0 || n == 3 {
			time.Sleep(200 * time.Millisecond)
			logMemory(t, fmt.Sprintf("%d shim(s) alive, idle", n+1), shims)
		}
	}
	execs := func(n int) {
		var wg sync.WaitGroup
		for _, c := range clients {
			wg.Go(func() {
				for range n {
					if _, err := c.execSync(ctx(t), ExecRequest{Cmd: []string{"true"}}); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		time.Sleep(200 * time.Millisecond)
	}
	execs(10)
	logMemory(t, "4 shims alive, after 10 execs each", shims)
	execs(140)
	logMemory(t, "4 shims alive, after 150 execs each (exec probes)", shims)

	t.Logf("create → first log line, new network namespace (a pod's pause): median %v",
		median(t, 10, func(t *testing.T) time.Duration { return firstLineLatency(t, true) }))
	t.Logf("create → first log line, no new network namespace (an app container joins the pod's): median %v",
		median(t, 10, func(t *testing.T) time.Duration { return firstLineLatency(t, false) }))
	c := clients[0]
	t.Logf("ExecSync echo: median %v", median(t, 10, func(t *testing.T) time.Duration {
		begin := time.Now()
		res, err := c.execSync(ctx(t), ExecRequest{Cmd: []string{"echo", "hi"}})
		if err != nil || string(res.Stdout) != "hi\n" {
			t.Fatalf("ExecSync = %+v, %v", res, err)
		}
		return time.Since(begin)
	}))
}

func logMemory(t *testing.T, what string, pids []int) {
	var sum memory
	for _, pid := range pids {
		m := readMemory(t, pid)
		sum.rss, sum.pss, sum.pssAnon, sum.private = sum.rss+m.rss, sum.pss+m.pss, sum.pssAnon+m.pssAnon, sum.private+m.private
	}
	n := len(pids)
	per := memory{sum.rss / n, sum.pss / n, sum.pssAnon / n, sum.private / n}
	t.Logf("%s: per shim %v; PSS total %.2f MiB", what, per, float64(sum.pss)/1024)
	if per.pssAnon > 6<<10 {
		t.Errorf("anonymous memory %d KiB per shim: the shim has grown", per.pssAnon)
	}
}

// firstLineLatency is Start + Client.Start until the container's
// first line is in the CRI log. Without netns, the container gets no
// network namespace of its own: creating one (and the kernel tearing
// down the previous ones) costs tens of milliseconds here.
func firstLineLatency(t *testing.T, netns bool) time.Duration {
	b := newBundle(t, "sh", "-c", "echo hi; exec sleep 1000")
	if !netns {
		b.spec.Linux.Namespaces = slices.DeleteFunc(b.spec.Linux.Namespaces, func(ns specs.LinuxNamespace) bool {
			return ns.Type == specs.NetworkNamespace
		})
	}
	begin := time.Now()
	_, c := b.start(t)
	if _, err := c.start(ctx(t)); err != nil {
		t.Fatal(err)
	}
	for {
		if data, _ := os.ReadFile(b.logPath); bytes.Contains(data, []byte(" stdout F hi\n")) {
			break
		}
		if time.Since(begin) > 10*time.Second {
			t.Fatal("no log line")
		}
		time.Sleep(200 * time.Microsecond)
	}
	took := time.Since(begin)
	c.kill(ctx(t), syscall.SIGKILL, false)
	c.wait(ctx(t))
	return took
}

func median(t *testing.T, n int, f func(*testing.T) time.Duration) time.Duration {
	var d []time.Duration
	for range n {
		d = append(d, f(t))
	}
	slices.Sort(d)
	return d[n/2]
}
