package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"
)

// registry is a running skiff-testregistry.
type registry struct {
	*child
	addr   string   // host:port it serves on
	served []served // the references it serves, in the order printed
}

// served is one "SRC -> LOCAL" line of skiff-testregistry: the reference a
// test asks for and where the registry serves it.
type served struct {
	src, local string
}

// startRegistry runs bin/skiff-testregistry on a free loopback port, logs
// everything it prints to logPath and waits for its "ready ADDR" line.
// busybox, if not empty, is passed through as --busybox. The first run may
// build a static busybox, hence the long readiness timeout.
func startRegistry(ctx context.Context, bin, busybox, logPath string, timeout time.Duration) (*registry, error) {
	// --verbose logs every request: the log then shows what skiffd pulled.
	args := []string{"--addr", "127.0.0.1:0", "--verbose"}
	if busybox != "" {
		args = append(args, "--busybox", busybox)
	}
	c, ready, err := launchRegistry(exec.Command(bin, args...), logPath)
	if err != nil {
		return nil, err
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-ready:
		if r.err == nil {
			return &registry{child: c, addr: r.addr, served: r.served}, nil
		}
		err = fmt.Errorf("skiff-testregistry: %w", r.err)
	case <-timer.C:
		err = fmt.Errorf("skiff-testregistry not ready after %s", timeout)
	case <-ctx.Done():
		err = ctx.Err()
	}
	_ = c.stop(5 * time.Second)
	return nil, fmt.Errorf("%w; log %s:\n%s", err, logPath, tail(logPath, 20))
}

// registryReady is what the registry's ready line said.
type registryReady struct {
	addr   string
	served []served
	err    error
}

// launchRegistry starts cmd with stderr and stdout in logPath and returns
// a channel that receives what its ready line said.
func launchRegistry(cmd *exec.Cmd, logPath string) (*child, <-chan registryReady, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, nil, err
	}
	// stdout is our own pipe, not cmd.StdoutPipe: the reader below owns
	// it, so reaping the process never races with reading what it printed.
	pr, pw, err := os.Pipe()
	if err != nil {
		logf.Close()
		return nil, nil, err
	}
	cmd.Stdout, cmd.Stderr = pw, logf
	c, err := startChild("skiff-testregistry", cmd)
	pw.Close()
	if err != nil {
		pr.Close()
		logf.Close()
		return nil, nil, err
	}
	ready := make(chan registryReady, 1)
	go func() {
		defer logf.Close()
		defer pr.Close()
		scanRegistry(pr, logf, func(addr string, sv []served, err error) {
			ready <- registryReady{addr, sv, err}
		})
		_, _ = io.Copy(logf, pr) // whatever a scan error left unread
	}()
	return c, ready, nil
}

// scanRegistry reads skiff-testregistry's stdout to its end, copying each
// line to log, and calls ready exactly once: with the address of the
// "ready ADDR" line and the references listed before it, or with an error
// if stdout ends first (the registry exited) or holds a bad ready line.
// Reading on after the ready line keeps the registry from ever blocking on
// a full pipe.
func scanRegistry(r io.Reader, log io.Writer, ready func(addr string, sv []served, err error)) {
	var sv []served
	called := false
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(log, line)
		if called {
			continue
		}
		if f := strings.Fields(line); len(f) > 0 && f[0] == "ready" {
			called = true
			if len(f) != 2 {
				ready("", nil, fmt.Errorf("bad ready line %q, want \"ready HOST:PORT\"", line))
			} else {
				ready(f[1], sv, nil)
			}
			continue
		}
		if src, local, ok := strings.Cut(line, " -> "); ok {
			sv = append(sv, served{strings.TrimSpace(src), strings.TrimSpace(local)})
		}
	}
	if called {
		return
	}
	if err := sc.Err(); err != nil {
		ready("", nil, err)
		return
	}
	ready("", nil, fmt.Errorf("exited before printing its ready line"))
}

// defaultMirrored are the registries skiffd always mirrors to the test
// registry, whatever it says it serves: the hosts of critest's images.
var defaultMirrored = []string{"docker.io", "gcr.io", "registry.k8s.io"}

// mirroredHosts returns the registry hosts to point at the test registry:
// defaultMirrored plus the host of every served reference (critest also
// pulls k8s.gcr.io/pause:3.9, for instance), sorted.
func mirroredHosts(sv []served) []string {
	set := map[string]bool{}
	for _, h := range defaultMirrored {
		set[h] = true
	}
	for _, s := range sv {
		host, _ := splitRef(s.src)
		set[host] = true
	}
	hosts := make([]string, 0, len(set))
	for h := range set {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	return hosts
}

// unmirrorable returns the served references that a mirror cannot reach:
// a mirror keeps the repository path, so SRC host/path must be served as
// ADDR/path.
func unmirrorable(addr string, sv []served) []served {
	var bad []served
	for _, s := range sv {
		_, path := splitRef(s.src)
		if s.local != addr+"/"+path {
			bad = append(bad, s)
		}
	}
	return bad
}

// splitRef splits an image reference into its registry host and the rest
// (repository path with tag or digest), with Docker's defaults: no host
// means docker.io, and a one-element docker.io path is under library/.
func splitRef(ref string) (host, path string) {
	host, path = "docker.io", ref
	if first, rest, ok := strings.Cut(ref, "/"); ok &&
		(strings.ContainsAny(first, ".:") || first == "localhost") {
		host, path = first, rest
	}
	if host == "index.docker.io" {
		host = "docker.io"
	}
	if host == "docker.io" && !strings.Contains(path, "/") {
		path = "library/" + path
	}
	return host, path
}
