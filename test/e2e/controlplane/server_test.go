//go:build e2e

package controlplane

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// binDir is where bin/skiff and bin/kubectl are.
func binDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SKIFF_BIN")
	if dir == "" {
		dir = "../../../bin"
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"skiff", "kubectl"} {
		if _, err := os.Stat(filepath.Join(abs, b)); err != nil {
			t.Fatalf("%s not built (run make build): %v", b, err)
		}
	}
	return abs
}

// server is one `skiff server` under test.
type server struct {
	t          *testing.T
	bin, dir   string
	kubeconfig string
	cmd        *exec.Cmd
	stderr     bytes.Buffer
	done       chan error
}

// startServer starts `skiff server` with its state in dir (a new temp dir
// when ""), and stops it at the end of the test; extra flags follow the
// test's own. Its node agent is off unless extra turns it on.
func startServer(t *testing.T, dir string, extra ...string) *server {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	s := &server{t: t, bin: binDir(t), dir: dir, kubeconfig: filepath.Join(dir, "admin.kubeconfig"), done: make(chan error, 1)}
	s.cmd = exec.Command(filepath.Join(s.bin, "skiff"), "server",
		"--state-dir", filepath.Join(dir, "state"), "--kubeconfig", s.kubeconfig,
		"--listen", "127.0.0.1:0", "--etcd-client-addr", "127.0.0.1:0", "--etcd-peer-addr", "127.0.0.1:0",
		"--log-level", "debug", "--agent=false",
		// No pod CIDRs: the nodes of these tests run in the host's
		// network namespace, their pods on the tests' own subnet
		// (hostbridge.ControlPlane, see startSkiffd).
		"--allocate-node-cidrs=false",
		// Nodes written by hand have no heartbeat: keep them from being
		// marked unreachable (and tainted) while a test runs.
		"--node-monitor-grace-period=10m",
		// The cluster DNS on a free port: servers of parallel tests
		// would meet on 127.0.0.1:53.
		"--dns-address", "127.0.0.1:0")
	s.cmd.Args = append(s.cmd.Args, extra...)
	s.cmd.Stderr = &s.stderr
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "export KUBECONFIG=") {
				ready <- sc.Text()
			}
		}
		s.done <- s.cmd.Wait()
	}()
	select {
	case line := <-ready:
		if line != "export KUBECONFIG="+s.kubeconfig {
			t.Fatalf("printed %q", line)
		}
	case err := <-s.done:
		t.Fatalf("skiff server exited: %v\n%s", err, s.stderr.String())
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		t.Fatalf("skiff server not ready after 30s\n%s", s.stderr.String())
	}
	t.Cleanup(s.stop)
	return s
}

// stop sends SIGTERM and expects a clean exit.
func (s *server) stop() {
	if s.cmd.ProcessState != nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			s.t.Errorf("skiff server exited with %v after SIGTERM\n%s", err, tail(s.stderr.String()))
		}
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		s.t.Errorf("skiff server ignored SIGTERM for 20s")
	}
}

func tail(s string) string {
	if len(s) > 4000 {
		return s[len(s)-4000:]
	}
	return s
}

// command is bin/kubectl with args, against s.
func (s *server) command(ctx context.Context, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, "kubectl"), args...)
	cmd.Env = append(append(os.Environ(), "KUBECONFIG="+s.kubeconfig), env...)
	return cmd
}

// background runs kubectl until the test ends (5 minutes at most) and
// returns its stdout.
func (s *server) background(t *testing.T, args ...string) io.Reader {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	cmd := s.command(ctx, nil, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	return out
}

// kubectl runs bin/kubectl against s and returns stdout; stderr is in err.
func (s *server) kubectl(ctx context.Context, env []string, args ...string) (string, error) {
	stdout, stderr, err := s.kubectlLog(ctx, env, args...)
	if err != nil {
		return stdout, &kubectlError{err: err, stderr: stderr}
	}
	return stdout, nil
}

// kubectlLog runs bin/kubectl against s and returns stdout and stderr.
func (s *server) kubectlLog(ctx context.Context, env []string, args ...string) (string, string, error) {
	cmd := s.command(ctx, env, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

type kubectlError struct {
	err    error
	stderr string
}

func (e *kubectlError) Error() string { return e.err.Error() + ": " + e.stderr }

// k runs kubectl and fails the test on error.
func (s *server) k(args ...string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := s.kubectl(ctx, nil, args...)
	if err != nil {
		s.t.Fatalf("kubectl %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// kFail runs kubectl, expects it to fail, and returns its stderr.
func (s *server) kFail(args ...string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := s.kubectl(ctx, nil, args...)
	if err == nil {
		s.t.Fatalf("kubectl %s succeeded:\n%s", strings.Join(args, " "), out)
	}
	return err.(*kubectlError).stderr
}

// restConfig is the admin's client configuration.
func (s *server) restConfig() *rest.Config {
	s.t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", s.kubeconfig)
	if err != nil {
		s.t.Fatal(err)
	}
	return cfg
}

// raw sends one request as the admin and returns the code and body.
func (s *server) raw(method, path, ctype string, body []byte) (int, string) {
	s.t.Helper()
	cfg := s.restConfig()
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		s.t.Fatal(err)
	}
	req, err := http.NewRequest(method, cfg.Host+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := hc.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

// writeFile writes a manifest into the test's dir and returns its path.
func (s *server) writeFile(name, content string) string {
	s.t.Helper()
	p := filepath.Join(s.t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		s.t.Fatal(err)
	}
	return p
}
