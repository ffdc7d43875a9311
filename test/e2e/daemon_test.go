//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/testutil/hostbridge"
	"github.com/skiffrt/skiff/internal/testutil/output"
)

// binDir is where the binaries under test are.
func binDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SKIFF_BIN")
	if dir == "" {
		dir = "../../bin"
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(abs, "skiffd")); err != nil {
		t.Fatalf("skiffd not built (run make build): %v", err)
	}
	return abs
}

// daemon is one skiffd process under test, in its own temp dirs.
type daemon struct {
	t      *testing.T
	dir    string
	socket string
	cmd    *exec.Cmd
	stderr *output.Buffer
	exited chan struct{}

	conn    *grpc.ClientConn
	runtime runtime.RuntimeServiceClient
	images  runtime.ImageServiceClient
}

// offlineProxy keeps skiffd's registry traffic on this machine: every
// request that is not to a loopback address goes to a closed loopback
// port, so a fallback to a real registry fails at once instead of leaving
// the machine.
var offlineProxy = []string{"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "NO_PROXY=", "https_proxy=", "http_proxy=", "no_proxy="}

// daemonArgs returns the command line for a daemon isolated in dir.
func daemonArgs(dir string, extra ...string) []string {
	return append([]string{
		"--config", filepath.Join(dir, "skiff.toml"),
		"--root", filepath.Join(dir, "root"),
		"--run-root", filepath.Join(dir, "run"),
		"--listen", filepath.Join(dir, "run", "skiff.sock"),
		"--log-level", "debug",
	}, extra...)
}

// hostNet is the network of every skiffd of the tests: its own bridge
// and subnet (hostbridge.E2E), an empty CNI config directory (the host's
// /etc/cni/net.d plays no part) and one IPAM directory for all daemons, so
// that daemons running at once on the one bridge never hand out the same
// address. TestMain sets it up and deletes the bridge at the end.
var hostNet hostbridge.SkiffdNet

// setUpHostNet claims the tests' bridge and lays out hostNet in a new
// temp dir; the func returned deletes the bridge and the dir.
func setUpHostNet() (func() error, error) {
	if err := hostbridge.E2E.Claim(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "skiff-e2e-net-")
	if err != nil {
		return nil, err
	}
	if hostNet, err = hostbridge.E2E.ForSkiffd(dir); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return func() error {
		return errors.Join(hostbridge.E2E.Delete(), os.RemoveAll(dir))
	}, nil
}

// newDaemonDir returns a temp dir holding a skiff.toml that names only
// the tests' network.
func newDaemonDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeConfig(t, dir, "")
	return dir
}

// writeConfig writes dir/skiff.toml: toml, then the [cni] section of
// the tests' network (so toml must not have a [cni] table; a drop-in in
// dir/skiff.d can change its keys).
func writeConfig(t *testing.T, dir, toml string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "skiff.toml"), []byte(toml+"\n"+hostNet.TOML()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// startDaemon starts skiffd in a fresh temp dir and connects to it.
func startDaemon(t *testing.T, extra ...string) *daemon {
	t.Helper()
	return startDaemonIn(t, newDaemonDir(t), daemonArgs, extra...)
}

// startDaemonIn starts skiffd with args(dir, extra...) and waits until its
// CRI socket answers Version. The daemon is stopped when the test ends.
func startDaemonIn(t *testing.T, dir string, args func(string, ...string) []string, extra ...string) *daemon {
	t.Helper()
	d := &daemon{t: t, dir: dir, socket: filepath.Join(dir, "run", "skiff.sock"), stderr: &output.Buffer{}, exited: make(chan struct{})}
	d.cmd = exec.Command(filepath.Join(binDir(t), "skiffd"), args(dir, extra...)...)
	d.cmd.Stderr = d.stderr
	d.cmd.Env = append(os.Environ(), offlineProxy...)
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start skiffd: %v", err)
	}
	go func() { d.cmd.Wait(); close(d.exited) }()
	t.Cleanup(d.stop)
	if err := d.connect(); err != nil {
		t.Fatalf("skiffd did not come up: %v\nstderr:\n%s", err, d.stderr)
	}
	return d
}

// connect dials the CRI socket and waits up to 10s for Version to answer.
func (d *daemon) connect() error {
	// Retry quickly while the daemon starts, not after gRPC's default 1s.
	fast := grpc.ConnectParams{Backoff: backoff.DefaultConfig, MinConnectTimeout: time.Second}
	fast.Backoff.BaseDelay, fast.Backoff.MaxDelay = 20*time.Millisecond, 200*time.Millisecond
	conn, err := grpc.NewClient("unix://"+d.socket, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithConnectParams(fast))
	if err != nil {
		return err
	}
	d.conn, d.runtime, d.images = conn, runtime.NewRuntimeServiceClient(conn), runtime.NewImageServiceClient(conn)
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := d.runtime.Version(ctx, &runtime.VersionRequest{})
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-d.exited:
			return err
		default:
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// signal sends sig to the daemon and waits up to timeout for it to exit,
// returning its exit code.
func (d *daemon) signal(sig syscall.Signal, timeout time.Duration) int {
	d.t.Helper()
	if err := d.cmd.Process.Signal(sig); err != nil {
		d.t.Fatalf("signal skiffd: %v", err)
	}
	select {
	case <-d.exited:
	case <-time.After(timeout):
		d.t.Fatalf("skiffd did not exit within %s of %v\nstderr:\n%s", timeout, sig, d.stderr)
	}
	return d.cmd.ProcessState.ExitCode()
}

func (d *daemon) stop() {
	if d.conn != nil {
		d.conn.Close()
	}
	select {
	case <-d.exited:
		return
	default:
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(15 * time.Second):
		d.cmd.Process.Kill()
		<-d.exited
	}
}

// runSkiffd runs skiffd to completion with args and returns its exit code,
// stdout and stderr.
func runSkiffd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, filepath.Join(binDir(t), "skiffd"), args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok || ctx.Err() != nil {
			t.Fatalf("run skiffd %v: %v\nstderr:\n%s", args, err, &stderr)
		}
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
