package stats

import (
	"sync"
	"time"
)

const (
	// forgetAfter is how long an entry is kept after it was last used:
	// objects that are gone are forgotten without being told.
	forgetAfter = 10 * time.Minute
	// sweepEvery is how often entries are checked for that.
	sweepEvery = time.Minute
)

// cache maps object IDs to values and forgets those not used for
// forgetAfter. It is safe for concurrent use.
type cache[V any] struct {
	mu        sync.Mutex // guards the fields below
	entries   map[string]entry[V]
	lastSweep time.Time
}

type entry[V any] struct {
	v    V
	used time.Time
}

func newCache[V any]() *cache[V] { return &cache[V]{entries: map[string]entry[V]{}} }

func (c *cache[V]) get(id string, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if ok {
		e.used = now
		c.entries[id] = e
	}
	return e.v, ok
}

func (c *cache[V]) put(id string, v V, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[id] = entry[V]{v: v, used: now}
	if now.Sub(c.lastSweep) < sweepEvery {
		return
	}
	c.lastSweep = now
	for k, e := range c.entries {
		if now.Sub(e.used) > forgetAfter {
			delete(c.entries, k)
		}
	}
}

// minWindow is the shortest interval a CPU rate is computed over: calls
// closer than that (kubelet asks for pod and container stats in a row)
// get the rate computed last, not one over a few milliseconds' noise.
const minWindow = time.Second

// rates computes CPU usage rates from consecutive cumulative samples.
type rates struct{ c *cache[cpuPoint] }

type cpuPoint struct {
	at    time.Time
	usage uint64
	rate  *uint64 // the rate computed when this point was taken
}

func newRates() *rates { return &rates{c: newCache[cpuPoint]()} }

// update records the cumulative usage of key at t and returns the rate
// since the previous sample at least minWindow older, or nil without one.
// A usage lower than before (a new cgroup under the same key) restarts.
func (r *rates) update(key string, t time.Time, usage uint64) *uint64 {
	prev, ok := r.c.get(key, t)
	if ok && usage >= prev.usage && t.Sub(prev.at) < minWindow {
		return prev.rate
	}
	var rate *uint64
	if ok && usage >= prev.usage && t.After(prev.at) {
		v := uint64(float64(usage-prev.usage) / t.Sub(prev.at).Seconds())
		rate = &v
	}
	r.c.put(key, cpuPoint{at: t, usage: usage, rate: rate}, t)
	return rate
}
