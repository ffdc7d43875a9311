package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// skiffd is a running skiffd with its own state directories.
type skiffd struct {
	*child
	sock string // path of its CRI socket
	log  string // path of its log (its stderr and stdout)
}

// skiffdPaths are the paths a test skiffd uses, all under one directory.
type skiffdPaths struct {
	config, root, runRoot, sock string
}

func newSkiffdPaths(dir string) skiffdPaths {
	return skiffdPaths{
		config:  filepath.Join(dir, "skiff.toml"),
		root:    filepath.Join(dir, "root"),
		runRoot: filepath.Join(dir, "run"),
		sock:    filepath.Join(dir, "run", "skiff.sock"),
	}
}

// maxSockPath is the longest path a unix socket address can hold on Linux
// (sun_path is 108 bytes, NUL included).
const maxSockPath = 107

// skiffdArgs returns skiffd's command line: the paths, debug logging, and
// every mirrored registry host pointed at the test registry at regAddr,
// which is also allowed over plain HTTP.
func skiffdArgs(p skiffdPaths, regAddr string, hosts, extra []string) []string {
	args := []string{
		"--config", p.config,
		"--root", p.root,
		"--run-root", p.runRoot,
		"--listen", p.sock,
		"--log-level", "debug",
	}
	for _, h := range hosts {
		args = append(args, "--registry-mirror", h+"=http://"+regAddr)
	}
	args = append(args, "--insecure-registry", regAddr)
	return append(args, extra...)
}

// offlineProxy keeps skiffd's registry traffic on this machine: requests
// to anything but loopback go to a closed loopback port, so that a pull
// falling back from the test registry to a real one (critest's image by
// digest) fails at once instead of leaving the machine, DNS included.
var offlineProxy = []string{"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "NO_PROXY=", "https_proxy=", "http_proxy=", "no_proxy="}

// startSkiffd writes config as p.config (the drop-in directory defaults
// to skiff.d beside it, which does not exist), starts bin with args
// logging to logPath, and waits until its socket answers the CRI Version
// call.
func startSkiffd(ctx context.Context, bin string, p skiffdPaths, config string, args []string, logPath string, timeout time.Duration) (*skiffd, error) {
	if len(p.sock) > maxSockPath {
		return nil, fmt.Errorf("socket path %s is longer than %d bytes; set TMPDIR to a shorter directory", p.sock, maxSockPath)
	}
	if err := os.WriteFile(p.config, []byte(config), 0o644); err != nil {
		return nil, err
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child holds its own descriptor
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), offlineProxy...)
	c, err := startChild("skiffd", cmd)
	if err != nil {
		return nil, err
	}
	d := &skiffd{child: c, sock: p.sock, log: logPath}
	v, err := d.waitReady(ctx, timeout)
	if err != nil {
		_ = d.stop(5 * time.Second)
		return nil, fmt.Errorf("%w; log %s:\n%s", err, logPath, tail(logPath, 20))
	}
	fmt.Printf("critest: skiffd ready: %s %s, CRI %s\n", v.GetRuntimeName(), v.GetRuntimeVersion(), v.GetRuntimeApiVersion())
	return d, nil
}

// waitReady polls the CRI Version call until it answers, skiffd exits or
// timeout passes.
func (d *skiffd) waitReady(ctx context.Context, timeout time.Duration) (*runtime.VersionResponse, error) {
	errTimeout := fmt.Errorf("skiffd not answering Version on %s after %s", d.sock, timeout)
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errTimeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		v, err := d.version(ctx)
		if err == nil {
			return v, nil
		}
		select {
		case <-d.done:
			return nil, fmt.Errorf("skiffd exited during start-up: %v", d.err)
		case <-ctx.Done():
			return nil, fmt.Errorf("%w (last error: %v)", context.Cause(ctx), err)
		case <-tick.C:
		}
	}
}

// version makes one CRI Version call on a new connection: a connection
// that failed once backs off for a second or more before it dials again,
// which would slow down noticing that skiffd is up.
func (d *skiffd) version(ctx context.Context) (*runtime.VersionResponse, error) {
	conn, err := d.dial()
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return runtime.NewRuntimeServiceClient(conn).Version(ctx, &runtime.VersionRequest{})
}

func (d *skiffd) dial() (*grpc.ClientConn, error) {
	return grpc.NewClient("unix://"+d.sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
}

// removeLeftovers removes the pods and containers that critest left in
// skiffd, so that stopping skiffd (which by design leaves containers
// running) does not leave processes and mounts behind. critest removes what
// it creates, so anything found here is reported. Best effort: RPCs that
// skiffd does not implement yet are not errors.
func (d *skiffd) removeLeftovers(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	conn, err := d.dial()
	if err != nil {
		return
	}
	defer conn.Close()
	rc := runtime.NewRuntimeServiceClient(conn)
	cs, err := rc.ListContainers(ctx, &runtime.ListContainersRequest{})
	if err != nil {
		reportCleanupErr("list containers", err)
	}
	for _, c := range cs.GetContainers() {
		fmt.Printf("critest: left over: container %s (%s)\n", c.GetId(), c.GetMetadata().GetName())
		_, err := rc.RemoveContainer(ctx, &runtime.RemoveContainerRequest{ContainerId: c.GetId()})
		reportCleanupErr("remove container "+c.GetId(), err)
	}
	ps, err := rc.ListPodSandbox(ctx, &runtime.ListPodSandboxRequest{})
	if err != nil {
		reportCleanupErr("list pods", err)
	}
	for _, p := range ps.GetItems() {
		fmt.Printf("critest: left over: pod %s (%s)\n", p.GetId(), p.GetMetadata().GetName())
		_, err := rc.RemovePodSandbox(ctx, &runtime.RemovePodSandboxRequest{PodSandboxId: p.GetId()})
		reportCleanupErr("remove pod "+p.GetId(), err)
	}
}

func reportCleanupErr(what string, err error) {
	if err != nil && status.Code(err) != codes.Unimplemented {
		fmt.Fprintf(os.Stderr, "critest: cleanup: %s: %v\n", what, err)
	}
}
