package image

import (
	"context"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// TestHostileImageRefs: a name that is no reference and no image ID is
// refused as invalid, by every call that takes one, and never reaches a
// registry (PullImage parses first, in server).
func TestHostileImageRefs(t *testing.T) {
	reg := newFakeRegistry()
	s := openStore(t, t.TempDir(), reg)
	reg.add(t, "example.com/app:v1", "", "a")
	pull(t, s, "example.com/app:v1")
	for _, name := range []string{
		"Not A Ref::", "example.com/Upper", "app@sha256:zz", "-leading-dash", "a//b", strings.Repeat("a", 300) + ":x",
	} {
		t.Run(name[:min(len(name), 20)], func(t *testing.T) {
			if _, err := ParseRef(name); !errdefs.IsInvalidArgument(err) {
				t.Errorf("ParseRef: %v", err)
			}
			if _, err := s.Get(name); !errdefs.IsInvalidArgument(err) {
				t.Errorf("Get: %v", err)
			}
			if _, err := s.List(name); !errdefs.IsInvalidArgument(err) {
				t.Errorf("List: %v", err)
			}
			if err := s.Remove(context.Background(), name, func(digest.Digest) (string, bool) { return "", false }); !errdefs.IsInvalidArgument(err) {
				t.Errorf("Remove: %v", err)
			}
		})
	}
	if imgs, _ := s.List(""); len(imgs) != 1 {
		t.Errorf("%d images after the refusals, want 1", len(imgs))
	}
}
