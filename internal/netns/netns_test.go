package netns

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/sys/mountinfo"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// requireRoot skips tests that need CAP_SYS_ADMIN on the real kernel.
func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

// newNS creates a namespace under a fresh directory and removes it when
// the test ends, whatever happens in between.
func newNS(t *testing.T) *NS {
	t.Helper()
	ns, err := New(context.Background(), t.TempDir())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := ns.Remove(); err != nil {
			t.Errorf("cleanup Remove: %v", err)
		}
	})
	return ns
}

// inode is the inode number of path's target: for a namespace, its id.
func inode(t *testing.T, path string) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatalf("stat %s: %v", path, err)
	}
	return st.Ino
}

// mountsUnder lists the mount points at or below dir.
func mountsUnder(t *testing.T, dir string) []string {
	t.Helper()
	ms, err := mountinfo.GetMounts(mountinfo.PrefixFilter(dir))
	if err != nil {
		t.Fatalf("mountinfo: %v", err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.Mountpoint)
	}
	return out
}

// checkThreadsInHostNS fails if any thread of the test process is outside
// the network namespace the process started in.
func checkThreadsInHostNS(t *testing.T, host uint64) {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		var st unix.Stat_t
		if err := unix.Stat(filepath.Join("/proc/self/task", task.Name(), "ns/net"), &st); err != nil {
			continue // the thread exited meanwhile
		}
		if st.Ino != host {
			t.Errorf("thread %s is in netns %d, not the host's %d", task.Name(), st.Ino, host)
		}
	}
}

func TestNewLoopbackOnly(t *testing.T) {
	requireRoot(t)
	ns := newNS(t)
	if !Exists(ns.Path()) {
		t.Fatalf("Exists(%s) = false after New", ns.Path())
	}
	err := ns.Do(func() error {
		links, err := netlink.LinkList()
		if err != nil {
			return err
		}
		if len(links) != 1 || links[0].Attrs().Name != "lo" {
			var names []string
			for _, l := range links {
				names = append(names, l.Attrs().Name)
			}
			t.Errorf("links inside = %v, want only lo", names)
		}
		lo, err := netlink.LinkByName("lo")
		if err != nil {
			return err
		}
		if lo.Attrs().Flags&net.FlagUp == 0 {
			t.Errorf("lo is down")
		}
		addrs, err := netlink.AddrList(lo, netlink.FAMILY_V4)
		if err != nil {
			return err
		}
		var got []string
		for _, a := range addrs {
			got = append(got, a.IP.String())
		}
		if len(got) != 1 || got[0] != "127.0.0.1" {
			t.Errorf("lo IPv4 addresses = %v, want [127.0.0.1]", got)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
}

func TestNamespacesAreDistinct(t *testing.T) {
	requireRoot(t)
	host := inode(t, "/proc/self/ns/net")
	a, b := newNS(t), newNS(t)
	ia, ib := inode(t, a.Path()), inode(t, b.Path())
	if ia == ib || ia == host || ib == host {
		t.Errorf("namespace ids: a=%d b=%d host=%d, want three distinct", ia, ib, host)
	}
	var inside uint64
	if err := a.Do(func() error {
		inside = inode(t, threadNetNS())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if inside != ia {
		t.Errorf("Do ran in netns %d, want %d", inside, ia)
	}
	checkThreadsInHostNS(t, host)
}

func TestRemove(t *testing.T) {
	requireRoot(t)
	tests := []struct {
		name  string
		crash func(t *testing.T, path string) // what happened before Remove
	}{
		{name: "pinned"},
		{name: "mount already gone", crash: func(t *testing.T, path string) {
			if err := unix.Unmount(path, unix.MNT_DETACH); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "file already gone", crash: func(t *testing.T, path string) {
			if err := unix.Unmount(path, unix.MNT_DETACH); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "mounted twice", crash: func(t *testing.T, path string) {
			if err := unix.Mount(path, path, "none", unix.MS_BIND, ""); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ns, err := New(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { Remove(ns.Path()) })
			if tc.crash != nil {
				tc.crash(t, ns.Path())
			}
			for i := range 2 {
				if err := Remove(ns.Path()); err != nil {
					t.Fatalf("Remove #%d: %v", i+1, err)
				}
			}
			if _, err := os.Lstat(ns.Path()); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("pin file still there: %v", err)
			}
			if Exists(ns.Path()) {
				t.Errorf("Exists after Remove")
			}
			if m := mountsUnder(t, dir); len(m) != 0 {
				t.Errorf("mounts left: %v", m)
			}
		})
	}
}

func TestRemoveRefusesNonPins(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Remove(sub); !errdefs.IsInvalidArgument(err) {
		t.Errorf("Remove(dir) = %v, want invalid argument", err)
	}
	if _, err := os.Stat(sub); err != nil {
		t.Errorf("directory was touched: %v", err)
	}
}

func TestExists(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, nil, 0o444); err != nil {
		t.Fatal(err)
	}
	// A pinned namespace of another type must not pass for a netns.
	uts := filepath.Join(dir, "uts")
	if err := os.WriteFile(uts, nil, 0o444); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("/proc/self/ns/uts", uts, "none", unix.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(uts, unix.MNT_DETACH) })
	ns := newNS(t)
	tests := []struct {
		name string
		path string
		want bool
	}{
		{"pinned netns", ns.Path(), true},
		{"plain file", plain, false},
		{"directory", dir, false},
		{"missing", filepath.Join(dir, "missing"), false},
		{"uts namespace", uts, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Exists(tc.path); got != tc.want {
				t.Errorf("Exists(%s) = %v, want %v", tc.path, got, tc.want)
			}
		})
	}
}

func TestNewNamed(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	ns, err := NewNamed(context.Background(), dir, "pod1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Remove() })
	if ns.Path() != filepath.Join(dir, "pod1") {
		t.Errorf("Path = %s", ns.Path())
	}
	tests := []struct {
		name string
		arg  string
		want error
	}{
		{"taken", "pod1", errdefs.ErrAlreadyExists},
		{"empty", "", errdefs.ErrInvalidArgument},
		{"dotdot", "..", errdefs.ErrInvalidArgument},
		{"slash", "a/b", errdefs.ErrInvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewNamed(context.Background(), dir, tc.arg)
			if !errors.Is(err, tc.want) {
				t.Errorf("NewNamed(%q) = %v, want %v", tc.arg, err, tc.want)
			}
		})
	}
	if !Exists(ns.Path()) {
		t.Errorf("the taken pin was disturbed")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := New(ctx, dir); !errors.Is(err, errdefs.ErrCanceled) {
		t.Errorf("New(cancelled) = %v", err)
	}
}

func TestDo(t *testing.T) {
	requireRoot(t)
	ns := newNS(t)
	want := errors.New("from fn")
	if err := ns.Do(func() error { return want }); !errors.Is(err, want) {
		t.Errorf("Do error = %v, want %v", err, want)
	}
	if err := Do(filepath.Join(t.TempDir(), "none"), func() error { return nil }); !errdefs.IsNotFound(err) {
		t.Errorf("Do(missing) = %v, want not found", err)
	}
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("recovered %v, want boom", p)
			}
		}()
		ns.Do(func() error { panic("boom") })
	}()
	// A listener opened inside is not reachable from the host namespace.
	err := ns.Do(func() error {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer l.Close()
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			return err
		}
		return c.Close()
	})
	if err != nil {
		t.Fatalf("listen inside: %v", err)
	}
}

func TestNoLeaks(t *testing.T) {
	requireRoot(t)
	host := inode(t, "/proc/self/ns/net")
	dir := t.TempDir()
	for i := range 50 {
		ns, err := New(context.Background(), dir)
		if err != nil {
			t.Fatalf("cycle %d: New: %v", i, err)
		}
		t.Cleanup(func() { Remove(ns.Path()) })
		if err := ns.Do(func() error { return nil }); err != nil {
			t.Fatalf("cycle %d: Do: %v", i, err)
		}
		if err := ns.Remove(); err != nil {
			t.Fatalf("cycle %d: Remove: %v", i, err)
		}
	}
	if m := mountsUnder(t, dir); len(m) != 0 {
		t.Errorf("mounts left under %s: %v", dir, m)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("files left: %d", len(ents))
	}
	checkThreadsInHostNS(t, host)
	// No nsfs file of ours is held open.
	fds, _ := os.ReadDir("/proc/self/fd")
	for _, fd := range fds {
		target, _ := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if strings.HasPrefix(target, dir) || strings.HasPrefix(target, "net:[") {
			t.Errorf("fd %s still open on %s", fd.Name(), target)
		}
	}
}

func TestRemoveSymlinkToNamespace(t *testing.T) {
	requireRoot(t)
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink("/proc/self/ns/net", link); err != nil {
		t.Fatal(err)
	}
	if err := Remove(link); !errdefs.IsInvalidArgument(err) {
		t.Errorf("Remove(symlink) = %v, want invalid argument", err)
	}
}
