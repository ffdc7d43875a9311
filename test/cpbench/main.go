// Command cpbench loads a real `skiff server`: it creates many objects
// while watchers follow them, then reads them back, and reports the
// latency of create, get and list (p50, p99) and the server's memory idle
// and under load. `make bench-controlplane` runs it.
//
// The server runs from -bin in a temp dir on loopback ports; every loop
// is bounded by -objects and -watchers, and the program stops the server
// when done.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func main() {
	bin := flag.String("bin", "bin", "directory of the skiff binary")
	objects := flag.Int("objects", 10000, "configmaps to create")
	watchers := flag.Int("watchers", 50, "watchers following the creations")
	workers := flag.Int("workers", 16, "concurrent writers")
	gets := flag.Int("gets", 2000, "gets to time")
	lists := flag.Int("lists", 20, "full lists to time")
	flag.Parse()
	if err := run(*bin, *objects, *watchers, *workers, *gets, *lists); err != nil {
		log.Fatal(err)
	}
}

func run(bin string, objects, watchers, workers, gets, lists int) error {
	dir, err := os.MkdirTemp("", "cpbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv, err := start(bin, dir)
	if err != nil {
		return err
	}
	defer srv.stop()
	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(dir, "kubeconfig"))
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = 5000, 10000
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()

	time.Sleep(30 * time.Second) // settle (the server trims its start-up memory at 20 s)
	idle := srv.rss()
	idleAnon, idleFile := srv.status("RssAnon:"), srv.status("RssFile:")

	cms := cs.CoreV1().ConfigMaps("default")
	list, err := cms.List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	seen, stopWatch, err := watch(ctx, cs, watchers, list.ResourceVersion)
	if err != nil {
		return err
	}
	create := timeAll(objects, workers, func(i int) error {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%05d", i)},
			Data: map[string]string{"key": strings.Repeat("v", 256)}}
		_, err := cms.Create(ctx, cm, metav1.CreateOptions{})
		return err
	})
	if create.err != nil {
		return create.err
	}
	created := time.Now()
	delivered := waitDelivered(seen, watchers*objects, time.Minute)
	lag := time.Since(created)
	stopWatch()
	load := srv.rss()
	get := timeAll(gets, workers, func(i int) error {
		_, err := cms.Get(ctx, fmt.Sprintf("cm-%05d", i%objects), metav1.GetOptions{})
		return err
	})
	list2 := timeAll(lists, 1, func(int) error {
		l, err := cms.List(ctx, metav1.ListOptions{})
		if err == nil && len(l.Items) != objects {
			err = fmt.Errorf("listed %d of %d", len(l.Items), objects)
		}
		return err
	})
	for _, r := range []result{get, list2} {
		if r.err != nil {
			return r.err
		}
	}
	peak := srv.peak()
	fmt.Printf("skiff server, %d configmaps, %d watchers, %d writers\n\n", objects, watchers, workers)
	fmt.Printf("| operation | count | p50 | p99 | throughput |\n|---|---|---|---|---|\n")
	for _, r := range []struct {
		name string
		r    result
	}{{"create", create}, {"get", get}, {"list (all)", list2}} {
		fmt.Printf("| %s | %d | %s | %s | %.0f/s |\n", r.name, len(r.r.lat), r.r.pct(50), r.r.pct(99), float64(len(r.r.lat))/r.r.wall.Seconds())
	}
	fmt.Printf("\nwatch events delivered: %d of %d, the last %s after the last create\n", delivered, watchers*objects, lag.Round(10*time.Millisecond))
	fmt.Printf("RSS: idle %d MB (anonymous %d, executable and other files %d), after the load %d MB, peak %d MB\n",
		idle>>10, idleAnon>>10, idleFile>>10, load>>10, peak>>10)
	return nil
}

// server is the skiff server under load.
type server struct {
	cmd *exec.Cmd
}

func start(bin, dir string) (*server, error) {
	cmd := exec.Command(filepath.Join(bin, "skiff"), "server", "--state-dir", filepath.Join(dir, "state"),
		"--kubeconfig", filepath.Join(dir, "kubeconfig"), "--listen", "127.0.0.1:0",
		"--etcd-client-addr", "127.0.0.1:0", "--etcd-peer-addr", "127.0.0.1:0", "--log-level", "warn", "--dns-address", "127.0.0.1:0",
		"--agent=false") // the control plane alone: no skiffd here
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "export KUBECONFIG=") {
			go io.Copy(io.Discard, out)
			return &server{cmd: cmd}, nil
		}
	}
	cmd.Wait()
	return nil, errors.New("skiff server exited before serving")
}

func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait()
}

// rss and peak are VmRSS and VmHWM of the server, in KiB; status is
// another field of its /proc status.
func (s *server) rss() int64                { return status(s.cmd.Process.Pid, "VmRSS:") }
func (s *server) peak() int64               { return status(s.cmd.Process.Pid, "VmHWM:") }
func (s *server) status(field string) int64 { return status(s.cmd.Process.Pid, field) }

func status(pid int, field string) int64 {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(rest), "%d", &kb)
			return kb
		}
	}
	return 0
}

// watch starts n watchers from rv; seen counts the ADDED events they get.
func watch(ctx context.Context, cs *kubernetes.Clientset, n int, rv string) (*counter, func(), error) {
	c := &counter{}
	wctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for range n {
		w, err := cs.CoreV1().ConfigMaps("default").Watch(wctx, metav1.ListOptions{ResourceVersion: rv})
		if err != nil {
			cancel()
			return nil, nil, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer w.Stop()
			for range w.ResultChan() {
				c.add()
			}
		}()
	}
	return c, func() { cancel(); wg.Wait() }, nil
}

type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) add() { c.mu.Lock(); c.n++; c.mu.Unlock() }
func (c *counter) get() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// waitDelivered waits until want events arrived or the timeout.
func waitDelivered(c *counter, want int, timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	for c.get() < want && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	return c.get()
}

// result holds the latencies of one operation.
type result struct {
	lat  []time.Duration
	wall time.Duration
	err  error
}

func (r result) pct(p int) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[(len(r.lat)-1)*p/100].Round(10 * time.Microsecond)
}

// timeAll runs op(0..n-1) on workers goroutines and times each call.
func timeAll(n, workers int, op func(i int) error) result {
	var mu sync.Mutex
	var res result
	next := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t := time.Now()
				err := op(i)
				d := time.Since(t)
				mu.Lock()
				res.lat = append(res.lat, d)
				if err != nil && res.err == nil {
					res.err = err
				}
				mu.Unlock()
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	res.wall = time.Since(start)
	sort.Slice(res.lat, func(i, j int) bool { return res.lat[i] < res.lat[j] })
	return res
}
