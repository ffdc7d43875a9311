package testimage

import (
	"archive/tar"
	"os"
	"strings"
	"testing"
)

func TestRootfsApplets(t *testing.T) {
	fs := flatten(t, hostImage(t, E2EBusybox))
	applets, err := Applets(busybox)
	if err != nil {
		t.Fatal(err)
	}
	// What critest runs in containers, plus the servers' needs.
	for _, want := range []string{"bin/sh", "usr/bin/ipcs", "usr/bin/pgrep", "bin/pidof", "usr/sbin/httpd",
		"usr/bin/id", "bin/sleep", "usr/bin/top", "bin/ps", "bin/ping", "bin/netstat", "usr/sbin/brctl", "bin/hostname"} {
		found := false
		for _, a := range applets {
			found = found || a == want
		}
		if !found {
			t.Errorf("busybox has no applet %s", want)
		}
	}
	for _, a := range applets {
		e, ok := fs["/"+a]
		if !ok {
			t.Errorf("applet %s missing from the image", a)
			continue
		}
		if e.hdr.Typeflag != tar.TypeLink || e.hdr.Linkname != "bin/busybox" {
			t.Errorf("%s: type %c -> %q, want a hard link to bin/busybox", a, e.hdr.Typeflag, e.hdr.Linkname)
		}
	}
}

func TestRootfsModes(t *testing.T) {
	fs := flatten(t, hostImage(t, E2EBusybox))
	tests := []struct {
		path string
		typ  byte
		mode os.FileMode
	}{
		{"/bin/busybox", tar.TypeReg, 0o755},
		{"/tmp", tar.TypeDir, 0o777 | os.ModeSticky},
		{"/root", tar.TypeDir, 0o700},
		{"/etc/passwd", tar.TypeReg, 0o644},
		{"/etc/group", tar.TypeReg, 0o644},
		{"/etc/shadow", tar.TypeReg, 0o600},
		{"/var/www", tar.TypeDir, 0o755},
		{"/var/run", tar.TypeDir, 0o755},
		{"/home", tar.TypeDir, 0o755},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			e, ok := fs[tc.path]
			if !ok {
				t.Fatal("missing")
			}
			if e.hdr.Typeflag != tc.typ {
				t.Errorf("type %c, want %c", e.hdr.Typeflag, tc.typ)
			}
			if got := e.hdr.FileInfo().Mode() &^ os.ModeType; got != tc.mode {
				t.Errorf("mode %v, want %v", got, tc.mode)
			}
			if e.hdr.Uid != 0 || e.hdr.Gid != 0 || !e.hdr.ModTime.Equal(Epoch) {
				t.Errorf("owner %d:%d time %v, want 0:0 %v", e.hdr.Uid, e.hdr.Gid, e.hdr.ModTime, Epoch)
			}
		})
	}
}

func TestUsers(t *testing.T) {
	tests := []struct {
		ref      string
		user     string   // config User
		passwd   []string // lines /etc/passwd must have
		group    []string // lines /etc/group must have
		homeUser int      // owner of the user's home, -1 for none
	}{
		{criTools + "test-image-user-uid:latest", "1002", nil, nil, -1},
		{criTools + "test-image-user-username:latest", "www-data", []string{"www-data:x:33:33:www-data:/var/www:/bin/false"}, []string{"www-data:x:33:"}, -1},
		{criTools + "test-image-user-uid-group:latest", "1003:1004", nil, nil, -1},
		{criTools + "test-image-user-username-group:latest", "www-data:1004", []string{"www-data:x:33:33:www-data:/var/www:/bin/false"}, nil, -1},
		{criTools + "test-image-predefined-group:latest", "1000",
			[]string{"default-user:x:1000:1000:Linux User,,,:/home/default-user:/bin/sh"},
			[]string{"default-user:x:1000:", "group-defined-in-image:x:50000:default-user"}, 1000},
		{Pause, "65535:65535", nil, nil, -1},
		{E2EBusybox, "", []string{"root:x:0:0:root:/root:/bin/sh", "nobody:x:65534:65534:nobody:/home:/bin/false"}, []string{"root:x:0:", "nogroup:x:65534:"}, -1},
	}
	for _, tc := range tests {
		t.Run(tc.ref, func(t *testing.T) {
			img := hostImage(t, tc.ref)
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if cf.Config.User != tc.user {
				t.Errorf("User = %q, want %q", cf.Config.User, tc.user)
			}
			fs := flatten(t, img)
			hasLines(t, fs["/etc/passwd"].data, tc.passwd)
			hasLines(t, fs["/etc/group"].data, tc.group)
			if tc.homeUser >= 0 {
				home := fs["/home/default-user"].hdr
				if home == nil || home.Uid != tc.homeUser {
					t.Errorf("home of %d: %+v", tc.homeUser, home)
				}
			}
		})
	}
}

func hasLines(t *testing.T, content string, want []string) {
	t.Helper()
	lines := strings.Split(content, "\n")
	for _, w := range want {
		found := false
		for _, l := range lines {
			found = found || l == w
		}
		if !found {
			t.Errorf("no line %q in:\n%s", w, content)
		}
	}
}
