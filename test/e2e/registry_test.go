//go:build e2e

package e2e

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/skiffrt/skiff/internal/testutil/testimage"
	"github.com/skiffrt/skiff/internal/testutil/testregistry"
)

// startRegistry serves the test images on a loopback port until the test
// ends.
func startRegistry(t *testing.T, opts ...testregistry.Option) *testregistry.Registry {
	t.Helper()
	r, err := testregistry.Start(context.Background(), "127.0.0.1:0", testimage.ForTest(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// mirrorArgs points every registry the test images name at r.
func mirrorArgs(r *testregistry.Registry) []string {
	var args []string
	for _, host := range testregistry.Mirrored {
		args = append(args, "--registry-mirror", host+"="+"http://"+r.Addr())
	}
	return args
}

// served returns the manifest (or index) digest r serves for ref.
func served(t *testing.T, r *testregistry.Registry, ref string) string {
	t.Helper()
	for _, s := range r.Refs() {
		if s.Ref == ref {
			return s.Digest
		}
	}
	t.Fatalf("test registry does not serve %s", ref)
	return ""
}

// blobCounter counts GET requests for each blob digest.
type blobCounter struct {
	mu     sync.Mutex
	counts map[string]int
	total  atomic.Int64
}

func (c *blobCounter) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/sha256:") {
			d := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
			c.mu.Lock()
			if c.counts == nil {
				c.counts = map[string]int{}
			}
			c.counts[d]++
			c.mu.Unlock()
			c.total.Add(1)
		}
		next.ServeHTTP(w, r)
	})
}

// get returns how often blob d was fetched.
func (c *blobCounter) get(d string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[d]
}

// snapshot returns a copy of the counts.
func (c *blobCounter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.counts {
		out[k] = v
	}
	return out
}
