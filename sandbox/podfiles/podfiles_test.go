package podfiles

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkFile checks content and mode, and that no temporary file is left.
func checkFile(t *testing.T, dir, name, want string) {
	t.Helper()
	if got := read(t, filepath.Join(dir, name)); got != want {
		t.Errorf("%s =\n%s\nwant\n%s", name, got, want)
	}
	fi, err := os.Stat(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("%s mode = %v, want 0644", name, fi.Mode())
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

func TestWriteHostname(t *testing.T) {
	node, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, hostname, want string
		err                  error
	}{
		{name: "label", hostname: "web-0", want: "web-0\n"},
		{name: "fqdn", hostname: "web-0.svc.cluster.local", want: "web-0.svc.cluster.local\n"},
		{name: "empty is the node's", hostname: "", want: node + "\n"},
		{name: "64 bytes", hostname: strings.Repeat("a", 63) + "b", err: errdefs.ErrInvalidArgument},
		{name: "too long", hostname: strings.Repeat("a.", 32) + "b", err: errdefs.ErrInvalidArgument},
		{name: "newline", hostname: "a\nb", err: errdefs.ErrInvalidArgument},
		{name: "space", hostname: "a b", err: errdefs.ErrInvalidArgument},
		{name: "slash", hostname: "../x", err: errdefs.ErrInvalidArgument},
		{name: "leading dash", hostname: "-a", err: errdefs.ErrInvalidArgument},
		{name: "empty label", hostname: "a..b", err: errdefs.ErrInvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			err := WriteHostname(dir, tc.hostname)
			if !errors.Is(err, tc.err) {
				t.Fatalf("WriteHostname(%q) = %v, want %v", tc.hostname, err, tc.err)
			}
			if tc.err != nil {
				if !strings.Contains(err.Error(), "hostname") {
					t.Errorf("error %q does not name the field", err)
				}
				if _, err := os.Stat(filepath.Join(dir, HostnameFile)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("a file was written for bad input")
				}
				return
			}
			checkFile(t, dir, HostnameFile, tc.want)
		})
	}
}

func TestWriteHosts(t *testing.T) {
	tests := []struct {
		name, hostname string
		ips            []string
		want           string // after the header
		err            error
	}{
		{name: "no ips", hostname: "web-0"},
		{name: "dual stack", hostname: "web-0", ips: []string{"10.88.0.5", "fd00::5"},
			want: "10.88.0.5\tweb-0\nfd00::5\tweb-0\n"},
		{name: "no hostname", ips: []string{"10.88.0.5"}},
		{name: "bad ip", hostname: "web-0", ips: []string{"10.88.0.5", "10.88.0.300"}, err: errdefs.ErrInvalidArgument},
		{name: "bad hostname", hostname: "web 0", ips: []string{"10.88.0.5"}, err: errdefs.ErrInvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			err := WriteHosts(dir, tc.hostname, tc.ips...)
			if !errors.Is(err, tc.err) {
				t.Fatalf("WriteHosts = %v, want %v", err, tc.err)
			}
			if tc.err != nil {
				return
			}
			checkFile(t, dir, HostsFile, hostsHeader+tc.want)
		})
	}
	dir := t.TempDir()
	if err := WriteHosts(dir, "a", "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	got := read(t, filepath.Join(dir, HostsFile))
	for _, line := range []string{"127.0.0.1\tlocalhost\n", "::1\tlocalhost ip6-localhost ip6-loopback\n", "10.0.0.1\ta\n"} {
		if !strings.Contains(got, line) {
			t.Errorf("hosts lacks %q", line)
		}
	}
}

func TestWriteResolvConf(t *testing.T) {
	host := filepath.Join(t.TempDir(), "host-resolv.conf")
	hostContent := "nameserver 192.0.2.53\nsearch example.org\n"
	if err := os.WriteFile(host, []byte(hostContent), 0o600); err != nil {
		t.Fatal(err)
	}
	many := func(n int, s string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = s
		}
		return out
	}
	tests := []struct {
		name     string
		dns      *runtime.DNSConfig
		hostPath string
		want     string
		err      string // the field an error must name
	}{
		{name: "kubelet cluster DNS", dns: &runtime.DNSConfig{
			Servers:  []string{"10.96.0.10"},
			Searches: []string{"default.svc.cluster.local", "svc.cluster.local", "cluster.local"},
			Options:  []string{"ndots:5"},
		}, want: "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n"},
		{name: "ipv6 and several servers", dns: &runtime.DNSConfig{
			Servers: []string{"fd00::10", "10.96.0.10", "fe80::1%eth0"},
		}, want: "nameserver fd00::10\nnameserver 10.96.0.10\nnameserver fe80::1%eth0\n"},
		{name: "empty config", dns: &runtime.DNSConfig{}, want: ""},
		{name: "nil copies the host's", hostPath: host, want: hostContent},
		{name: "nil and no host file", hostPath: filepath.Join(t.TempDir(), "none"), want: ""},
		{name: "32 searches", dns: &runtime.DNSConfig{Searches: many(32, "a.b")},
			want: "search " + strings.Join(many(32, "a.b"), " ") + "\n"},
		{name: "server not an IP", dns: &runtime.DNSConfig{Servers: []string{"dns.example"}}, err: "servers[0]"},
		{name: "server injection", dns: &runtime.DNSConfig{Servers: []string{"1.1.1.1\noptions debug"}}, err: "servers[0]"},
		{name: "4 servers", dns: &runtime.DNSConfig{Servers: many(4, "1.1.1.1")}, err: "servers"},
		{name: "33 searches", dns: &runtime.DNSConfig{Searches: many(33, "a")}, err: "searches"},
		{name: "search list too long", dns: &runtime.DNSConfig{Searches: many(10, strings.Repeat("a", 250))}, err: "searches"},
		{name: "search with space", dns: &runtime.DNSConfig{Searches: []string{"ok", "a b"}}, err: "searches[1]"},
		{name: "empty search", dns: &runtime.DNSConfig{Searches: []string{""}}, err: "searches[0]"},
		{name: "option with newline", dns: &runtime.DNSConfig{Options: []string{"ndots:5\nnameserver 6.6.6.6"}}, err: "options[0]"},
		{name: "empty option", dns: &runtime.DNSConfig{Options: []string{""}}, err: "options[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			err := WriteResolvConfFrom(dir, tc.dns, tc.hostPath)
			if tc.err != "" {
				if !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), "dns_config."+tc.err) {
					t.Fatalf("error = %v, want invalid argument naming dns_config.%s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkFile(t, dir, ResolvConfFile, tc.want)
		})
	}
}

func TestWriteResolvConfHost(t *testing.T) {
	want, err := os.ReadFile(HostResolvConf)
	if err != nil {
		t.Skipf("no %s: %v", HostResolvConf, err)
	}
	dir := t.TempDir()
	if err := WriteResolvConf(dir, nil); err != nil {
		t.Fatal(err)
	}
	checkFile(t, dir, ResolvConfFile, string(want))
}

func TestShm(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	tests := []struct {
		name string
		size int64
		want int64
		err  error
	}{
		{name: "default", size: 0, want: DefaultShmSize},
		{name: "16 MiB", size: 16 << 20, want: 16 << 20},
		{name: "not a page multiple", size: 10000, want: 12288},
		{name: "negative", size: -1, err: errdefs.ErrInvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Cleanup(func() {
				if err := UnmountShm(dir); err != nil {
					t.Errorf("cleanup: %v", err)
				}
			})
			err := MountShm(dir, tc.size)
			if !errors.Is(err, tc.err) {
				t.Fatalf("MountShm(%d) = %v, want %v", tc.size, err, tc.err)
			}
			if tc.err != nil {
				return
			}
			path := filepath.Join(dir, ShmDir)
			var st unix.Statfs_t
			if err := unix.Statfs(path, &st); err != nil {
				t.Fatal(err)
			}
			if st.Type != unix.TMPFS_MAGIC {
				t.Errorf("fs type %#x, want tmpfs", st.Type)
			}
			if got := int64(st.Blocks) * st.Bsize; got != tc.want {
				t.Errorf("size = %d, want %d", got, tc.want)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o777 || fi.Mode()&os.ModeSticky == 0 {
				t.Errorf("mode = %v, want 1777", fi.Mode())
			}
			ms, err := mountinfo.GetMounts(mountinfo.SingleEntryFilter(path))
			if err != nil || len(ms) != 1 {
				t.Fatalf("mountinfo: %v, %v", ms, err)
			}
			for _, o := range []string{"nosuid", "nodev", "noexec"} {
				if !strings.Contains(","+ms[0].Options+",", ","+o+",") {
					t.Errorf("options %q lack %s", ms[0].Options, o)
				}
			}
			if err := MountShm(dir, tc.size); !errdefs.IsAlreadyExists(err) {
				t.Errorf("second MountShm = %v, want already exists", err)
			}
		})
	}
}

func TestUnmountShm(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
	}{
		{name: "mounted", setup: func(t *testing.T, dir string) {
			if err := MountShm(dir, 0); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, ShmDir, "seg"), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "never mounted"},
		{name: "directory only", setup: func(t *testing.T, dir string) {
			if err := os.Mkdir(filepath.Join(dir, ShmDir), 0o700); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "busy", setup: func(t *testing.T, dir string) {
			if err := MountShm(dir, 0); err != nil {
				t.Fatal(err)
			}
			f, err := os.Create(filepath.Join(dir, ShmDir, "seg"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Cleanup(func() { UnmountShm(dir) })
			if tc.setup != nil {
				tc.setup(t, dir)
			}
			for i := range 2 {
				if err := UnmountShm(dir); err != nil {
					t.Fatalf("UnmountShm #%d: %v", i+1, err)
				}
			}
			if _, err := os.Lstat(filepath.Join(dir, ShmDir)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("shm dir still there: %v", err)
			}
			if ms, _ := mountinfo.GetMounts(mountinfo.PrefixFilter(dir)); len(ms) != 0 {
				t.Errorf("mounts left: %v", ms)
			}
		})
	}
}
