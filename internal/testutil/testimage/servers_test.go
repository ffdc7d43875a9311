package testimage

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServers runs the stand-ins chrooted into their extracted images, as
// a container would start them, and checks what critest checks.
func TestServers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chroot")
	}
	tests := []struct {
		ref      string
		argv     []string
		portEnv  string
		dir      string
		logWant  string
		nginxPid bool
	}{
		{E2ENginx, []string{"/usr/sbin/nginx", "-g", "daemon off;"}, "NGINX_PORT", "/", "nginx", true},
		{HostNetNginx, []string{"/usr/sbin/nginx", "-g", "daemon off;"}, "NGINX_PORT", "/", "nginx", true},
		{E2EHttpd, []string{"/usr/local/bin/httpd-foreground"}, "HTTPD_PORT", "/usr/local/apache2", "httpd", false},
	}
	for _, tc := range tests {
		t.Run(tc.ref, func(t *testing.T) {
			root := t.TempDir()
			extract(t, hostImage(t, tc.ref), root)
			port := freePort(t)
			var stderr bytes.Buffer
			cmd := chrooted(root, tc.argv...)
			cmd.Dir = tc.dir
			cmd.Env = append(cmd.Env, tc.portEnv+"="+strconv.Itoa(port))
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill() //nolint:errcheck // cleanup after a failure
			getOK(t, port)
			if tc.nginxPid {
				checkNginxProcess(t, root, cmd.Process.Pid)
			}
			stop(t, cmd, syscall.SIGTERM)
			if !strings.Contains(stderr.String(), tc.logWant) {
				t.Errorf("log %q lacks %q", stderr.String(), tc.logWant)
			}
		})
	}
}

func TestPauseStops(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chroot")
	}
	root := t.TempDir()
	extract(t, hostImage(t, Pause), root)
	cmd := chrooted(root, "/pause")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // let the shell install its trap
	stop(t, cmd, syscall.SIGTERM)
}

// TestUserLookup checks that the static busybox resolves names from the
// image's /etc/passwd and /etc/group (glibc's built-in files NSS module).
func TestUserLookup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chroot")
	}
	root := t.TempDir()
	extract(t, hostImage(t, criTools+"test-image-predefined-group:latest"), root)
	tests := []struct {
		uid  uint32
		argv []string
		want string
	}{
		{33, []string{"id", "-un"}, "www-data\n"},
		{0, []string{"id", "-u", "default-user"}, "1000\n"},
		{0, []string{"id", "-Gn", "default-user"}, "default-user group-defined-in-image\n"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.argv, " "), func(t *testing.T) {
			cmd := chrooted(root, tc.argv...)
			cmd.SysProcAttr.Credential = &syscall.Credential{Uid: tc.uid, Gid: tc.uid}
			out, err := cmd.CombinedOutput()
			if err != nil || string(out) != tc.want {
				t.Errorf("output %q (%v), want %q", out, err, tc.want)
			}
		})
	}
}

func chrooted(root string, argv ...string) *exec.Cmd {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root}
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=" + DefaultPath}
	if strings.HasPrefix(argv[0], "/") {
		cmd.Path = argv[0] // resolved inside the chroot
	} else {
		cmd.Path = "/bin/busybox"
		cmd.Args = append([]string{argv[0]}, argv[1:]...)
	}
	return cmd
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// getOK waits up to 10s for an HTTP 200 from 127.0.0.1:port.
func getOK(t *testing.T, port int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/"
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %s", url, resp.Status)
			}
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkNginxProcess checks the pid file, the process name pidof matches
// and the "master process" title critest greps for.
func checkNginxProcess(t *testing.T, root string, pid int) {
	t.Helper()
	pidFile, err := os.ReadFile(filepath.Join(root, "var/run/nginx.pid"))
	if err != nil || strings.TrimSpace(string(pidFile)) != strconv.Itoa(pid) {
		t.Errorf("nginx.pid = %q (%v), want %d", pidFile, err, pid)
	}
	comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if string(comm) != "nginx\n" {
		t.Errorf("comm = %q, want nginx", comm)
	}
	cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if !bytes.Contains(cmdline, []byte("master process")) {
		t.Errorf("cmdline %q lacks master process", cmdline)
	}
}

// stop signals cmd and wants it to exit 0 within 5s.
func stop(t *testing.T, cmd *exec.Cmd, sig syscall.Signal) {
	t.Helper()
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after %v: %v", sig, err)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("still running 5s after %v", sig)
	}
}
