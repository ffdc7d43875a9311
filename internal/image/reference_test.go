package image

import (
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/skiffrt/skiff/internal/errdefs"
)

func TestParseRef(t *testing.T) {
	const d = "sha256:9700f9a2f5bf2c45f2f605a0bd3bce7cf37420ec9d3ed50ac2758413308766bf"
	tests := []struct {
		in, want, tag string
	}{
		{"busybox", "docker.io/library/busybox:latest", "docker.io/library/busybox:latest"},
		{"busybox:1.36", "docker.io/library/busybox:1.36", "docker.io/library/busybox:1.36"},
		{"library/busybox", "docker.io/library/busybox:latest", "docker.io/library/busybox:latest"},
		{"docker.io/busybox", "docker.io/library/busybox:latest", "docker.io/library/busybox:latest"},
		{"someone/app:v1", "docker.io/someone/app:v1", "docker.io/someone/app:v1"},
		{"registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9"},
		{"localhost:5000/x", "localhost:5000/x:latest", "localhost:5000/x:latest"},
		{"127.0.0.1:5000/a/b/c:t", "127.0.0.1:5000/a/b/c:t", "127.0.0.1:5000/a/b/c:t"},
		{"busybox@" + d, "docker.io/library/busybox@" + d, ""},
		{"busybox:1@" + d, "docker.io/library/busybox:1@" + d, "docker.io/library/busybox:1"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			ref, err := ParseRef(tt.in)
			if err != nil {
				t.Fatalf("ParseRef: %v", err)
			}
			if ref.String() != tt.want || repoTag(ref) != tt.tag {
				t.Errorf("ParseRef = %s (tag %q), want %s (tag %q)", ref, repoTag(ref), tt.want, tt.tag)
			}
		})
	}
}

func TestParseRefRejects(t *testing.T) {
	for _, in := range []string{"", "BusyBox", "a b", "busybox@sha256:abc", "http://docker.io/busybox", "busybox:"} {
		t.Run(in, func(t *testing.T) {
			if _, err := ParseRef(in); !errdefs.IsInvalidArgument(err) {
				t.Errorf("ParseRef(%q) = %v, want an InvalidArgument error", in, err)
			}
		})
	}
}

func TestRepoDigest(t *testing.T) {
	ref, _ := ParseRef("busybox:1.36")
	d := digest.Digest("sha256:9700f9a2f5bf2c45f2f605a0bd3bce7cf37420ec9d3ed50ac2758413308766bf")
	if got := repoDigest(ref, d); got != "docker.io/library/busybox@"+d.String() {
		t.Errorf("repoDigest = %s", got)
	}
}

func TestIDPrefix(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"sha256:abc", "abc", true},
		{"0123456789ab", "0123456789ab", true},
		{"0123456789a", "", false}, // too short to be taken for an ID bare
		{"cafe", "", false},
		{"sha256:xyz", "", false},
		{"busybox", "", false},
	}
	for _, tt := range tests {
		got, ok := idPrefix(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("idPrefix(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestImageUser(t *testing.T) {
	tests := []struct {
		user     string
		uid      int64
		hasUID   bool
		username string
	}{
		{"", 0, false, ""},
		{"1002", 1002, true, ""},
		{"1003:1004", 1003, true, ""},
		{"www-data", 0, false, "www-data"},
		{"www-data:1004", 0, false, "www-data"},
		{"0", 0, true, ""},
	}
	for _, tt := range tests {
		img := &Image{User: tt.user}
		uid, ok := img.UID()
		if uid != tt.uid || ok != tt.hasUID || img.Username() != tt.username {
			t.Errorf("User %q: UID %d %v, Username %q; want %d %v %q", tt.user, uid, ok, img.Username(), tt.uid, tt.hasUID, tt.username)
		}
	}
}
