package oci

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// fakeRootfs writes an image rootfs with the given /etc files.
func fakeRootfs(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const (
	testPasswd = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\nweb:x:1001:1001::/:/bin/sh\n"
	testGroup  = "root:x:0:\nvideo:x:44:app,web\nstaff:x:50:app\napp:x:1000:\nweb:x:1001:\nextra:x:2000:\n"
)

func id(v int64) *runtime.Int64Value { return &runtime.Int64Value{Value: v} }

func TestContainerUser(t *testing.T) {
	root := fakeRootfs(t, map[string]string{"etc/passwd": testPasswd, "etc/group": testGroup})
	tests := []struct {
		name      string
		sc        *runtime.LinuxContainerSecurityContext
		imageUser string
		uid, gid  uint32
		groups    []uint32
	}{
		{"root by default", nil, "", 0, 0, []uint32{0}},
		{"image user name", nil, "app", 1000, 1000, []uint32{44, 50, 1000}},
		{"image uid in passwd", nil, "1001", 1001, 1001, []uint32{44, 1001}},
		{"image uid not in passwd", nil, "4242", 4242, 0, []uint32{0}},
		{"image uid:gid", nil, "1000:2000", 1000, 2000, []uint32{44, 50, 2000}},
		{"image name:group", nil, "app:extra", 1000, 2000, []uint32{44, 50, 2000}},
		{"image uid:group", nil, "4242:staff", 4242, 50, []uint32{50}},
		{"run_as_user overrides image", &runtime.LinuxContainerSecurityContext{RunAsUser: id(1001)}, "app", 1001, 1001, []uint32{44, 1001}},
		{"run_as_user with group", &runtime.LinuxContainerSecurityContext{RunAsUser: id(1000), RunAsGroup: id(7)}, "", 1000, 7, []uint32{7, 44, 50}},
		{"run_as_username", &runtime.LinuxContainerSecurityContext{RunAsUsername: "web"}, "app", 1001, 1001, []uint32{44, 1001}},
		{"run_as_user 0 over image user", &runtime.LinuxContainerSecurityContext{RunAsUser: id(0)}, "app", 0, 0, []uint32{0}},
		{"supplemental merged", &runtime.LinuxContainerSecurityContext{RunAsUser: id(1000), SupplementalGroups: []int64{1234, 44}}, "", 1000, 1000, []uint32{44, 50, 1000, 1234}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := containerUser(root, tt.sc, ImageConfig{User: tt.imageUser})
			if err != nil {
				t.Fatal(err)
			}
			if u.UID != tt.uid || u.GID != tt.gid || !slices.Equal(u.AdditionalGids, tt.groups) {
				t.Errorf("user = %d:%d %v, want %d:%d %v", u.UID, u.GID, u.AdditionalGids, tt.uid, tt.gid, tt.groups)
			}
		})
	}
}

// TestSupplementalGroupsPolicy follows critest: uid 1000 is listed in
// group 50000 of the image; Merge adds it, Strict does not.
func TestSupplementalGroupsPolicy(t *testing.T) {
	root := fakeRootfs(t, map[string]string{
		"etc/passwd": "user-defined-in-image:x:1000:1000::/:/bin/sh\n",
		"etc/group":  "user-defined-in-image:x:1000:\ngroup-defined-in-image:x:50000:user-defined-in-image\n",
	})
	for policy, want := range map[runtime.SupplementalGroupsPolicy][]uint32{
		runtime.SupplementalGroupsPolicy_Merge:  {1000, 1234, 50000},
		runtime.SupplementalGroupsPolicy_Strict: {1000, 1234},
	} {
		sc := &runtime.LinuxContainerSecurityContext{RunAsUser: id(1000), SupplementalGroups: []int64{1234}, SupplementalGroupsPolicy: policy}
		u, err := containerUser(root, sc, ImageConfig{})
		if err != nil || u.GID != 1000 || !slices.Equal(u.AdditionalGids, want) {
			t.Errorf("%s: user = %d %v, %v; want 1000 %v", policy, u.GID, u.AdditionalGids, err, want)
		}
	}
}

func TestContainerUserRejects(t *testing.T) {
	root := fakeRootfs(t, map[string]string{"etc/passwd": testPasswd, "etc/group": testGroup})
	tests := []struct {
		name      string
		sc        *runtime.LinuxContainerSecurityContext
		imageUser string
	}{
		{"group without user", &runtime.LinuxContainerSecurityContext{RunAsGroup: id(10)}, "app"},
		{"user and username", &runtime.LinuxContainerSecurityContext{RunAsUser: id(1), RunAsUsername: "app"}, ""},
		{"unknown username", &runtime.LinuxContainerSecurityContext{RunAsUsername: "nobody"}, ""},
		{"negative uid", &runtime.LinuxContainerSecurityContext{RunAsUser: id(-1)}, ""},
		{"uid -1 as uint32", &runtime.LinuxContainerSecurityContext{RunAsUser: id(1<<32 - 1)}, ""},
		{"negative supplemental group", &runtime.LinuxContainerSecurityContext{SupplementalGroups: []int64{-5}}, ""},
		{"unknown policy", &runtime.LinuxContainerSecurityContext{SupplementalGroupsPolicy: 7}, ""},
		{"unknown image user", nil, "ghost"},
		{"unknown image group", nil, "app:ghosts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := containerUser(root, tt.sc, ImageConfig{User: tt.imageUser}); !errdefs.IsInvalidArgument(err) {
				t.Errorf("containerUser = %v, want InvalidArgument", err)
			}
		})
	}
}

func TestContainerUserRootfsEdgeCases(t *testing.T) {
	t.Run("no /etc at all", func(t *testing.T) {
		root := t.TempDir()
		u, err := containerUser(root, &runtime.LinuxContainerSecurityContext{RunAsUser: id(5)}, ImageConfig{})
		if err != nil || u.UID != 5 || u.GID != 0 {
			t.Errorf("user = %+v, %v; want 5:0", u, err)
		}
		if _, err := containerUser(root, nil, ImageConfig{User: "app"}); !errdefs.IsInvalidArgument(err) {
			t.Errorf("a name without /etc/passwd: %v, want InvalidArgument", err)
		}
	})
	t.Run("symlinks stay inside the rootfs", func(t *testing.T) {
		outside := fakeRootfs(t, map[string]string{"group": "evil:x:0:app\n"})
		root := fakeRootfs(t, map[string]string{"inside/passwd": "app:x:1000:1000::/:/bin/sh\n"})
		if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
			t.Fatal(err)
		}
		// Absolute links are resolved against the rootfs, not the host.
		if err := os.Symlink("/inside/passwd", filepath.Join(root, "etc/passwd")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(outside, "group"), filepath.Join(root, "etc/group")); err != nil {
			t.Fatal(err)
		}
		u, err := containerUser(root, nil, ImageConfig{User: "app"})
		if err != nil || u.UID != 1000 || !slices.Equal(u.AdditionalGids, []uint32{1000}) {
			t.Errorf("user = %+v, %v; want app through the in-root link, no host groups", u, err)
		}
		if _, err := containerUser(root, nil, ImageConfig{User: "app:evil"}); err == nil {
			t.Error("a link out of the rootfs was followed")
		}
	})
	t.Run("passwd is a directory", func(t *testing.T) {
		root := t.TempDir()
		if err := os.MkdirAll(filepath.Join(root, "etc/passwd"), 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := containerUser(root, nil, ImageConfig{}); !errdefs.IsInvalidArgument(err) {
			t.Errorf("err = %v, want InvalidArgument", err)
		}
	})
}
