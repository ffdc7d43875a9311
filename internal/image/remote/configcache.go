package remote

import (
	"sync"

	"github.com/opencontainers/go-digest"
	"golang.org/x/sync/singleflight"
)

// Bounds of the config cache: configs are a few KiB, so these keep the
// configs of every image a node pulls at once.
const (
	configCacheEntries = 64
	configCacheBytes   = 16 << 20
)

// configCache keeps the configs fetched lately, by digest, and lets
// concurrent fetches of one config share one request, so that pulling
// several tags of one image fetches its config once. Configs are
// content-addressed and verified before they are kept, so one fetched
// from any endpoint serves every pull. It is safe for concurrent use.
type configCache struct {
	flight singleflight.Group

	mu      sync.Mutex // guards the fields below
	configs map[digest.Digest][]byte
	order   []digest.Digest // oldest first
	size    int
}

// get returns the config d, calling fetch only when no cached or
// in-flight copy exists. The returned slice must not be modified.
func (c *configCache) get(d digest.Digest, fetch func() ([]byte, error)) ([]byte, error) {
	if cfg, ok := c.lookup(d); ok {
		return cfg, nil
	}
	v, err, _ := c.flight.Do(string(d), func() (any, error) {
		cfg, err := fetch()
		if err == nil {
			c.add(d, cfg)
		}
		return cfg, err
	})
	if err != nil {
		return nil, err
	}
	return v.([]byte), nil
}

func (c *configCache) lookup(d digest.Digest) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cfg, ok := c.configs[d]
	return cfg, ok
}

func (c *configCache) add(d digest.Digest, cfg []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.configs == nil {
		c.configs = map[digest.Digest][]byte{}
	}
	if _, ok := c.configs[d]; ok || len(cfg) > configCacheBytes {
		return
	}
	c.configs[d] = cfg
	c.order = append(c.order, d)
	c.size += len(cfg)
	for len(c.order) > configCacheEntries || c.size > configCacheBytes {
		oldest := c.order[0]
		c.order = c.order[1:]
		c.size -= len(c.configs[oldest])
		delete(c.configs, oldest)
	}
}
