package testimage

import (
	"sync"
	"testing"
)

var cached struct {
	once   sync.Once
	images []Image
	err    error
}

// ForTest returns the test images built from BusyboxPath, once per test
// binary, and fails t if they cannot be built.
func ForTest(t testing.TB) []Image {
	t.Helper()
	cached.once.Do(func() {
		bb, err := BusyboxPath()
		if err != nil {
			cached.err = err
			return
		}
		cached.images, cached.err = All(bb)
	})
	if cached.err != nil {
		t.Fatalf("test images: %v", cached.err)
	}
	return cached.images
}
