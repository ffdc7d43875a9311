package remote

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/opencontainers/go-digest"
)

func TestConfigCacheSharesFetches(t *testing.T) {
	var c configCache
	var fetches atomic.Int32
	release := make(chan struct{})
	d := digest.FromString("config")
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg, err := c.get(d, func() ([]byte, error) {
				fetches.Add(1)
				<-release
				return []byte("config"), nil
			})
			if err != nil || string(cfg) != "config" {
				t.Errorf("get = %q, %v", cfg, err)
			}
		}()
	}
	close(release)
	wg.Wait()
	if _, err := c.get(d, func() ([]byte, error) { fetches.Add(1); return nil, errors.New("refetched") }); err != nil {
		t.Errorf("cached get: %v", err)
	}
	if n := fetches.Load(); n < 1 || n > 8 {
		t.Fatalf("fetches = %d", n)
	}
	// Every goroutine that started before the first fetch ended shared
	// it; the one after found it cached. Without the cache all nine fetch.
	if n := fetches.Load(); n == 9 {
		t.Errorf("every get fetched")
	}
}

func TestConfigCacheKeepsNoErrorsAndBoundsEntries(t *testing.T) {
	var c configCache
	d := digest.FromString("x")
	if _, err := c.get(d, func() ([]byte, error) { return nil, errors.New("boom") }); err == nil {
		t.Fatal("want the fetch error")
	}
	if _, ok := c.lookup(d); ok {
		t.Fatal("a failed fetch was cached")
	}
	for i := range configCacheEntries + 10 {
		di := digest.FromString(fmt.Sprint(i))
		c.get(di, func() ([]byte, error) { return []byte("c"), nil })
	}
	if len(c.configs) != configCacheEntries || len(c.order) != configCacheEntries {
		t.Errorf("cache holds %d configs (%d in order), want %d", len(c.configs), len(c.order), configCacheEntries)
	}
	if _, ok := c.lookup(digest.FromString("0")); ok {
		t.Error("the oldest config was not evicted")
	}
}
