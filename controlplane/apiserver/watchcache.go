package apiserver

import (
	"bytes"
	"encoding/json"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
)

// encodedCapacity bounds the watch lines an encodedEvents keeps.
const encodedCapacity = 1024

// encodedEvents remembers the JSON line of recent watch events, so that
// an event that many watchers receive (the registry shares one object
// among them) is encoded once rather than once per watcher. Objects are
// keys by identity: they are never changed once sent, and a kept key
// keeps its object alive, so an address is never reused while known.
type encodedEvents struct {
	mu    sync.Mutex // guards the fields below.
	lines map[eventKey][]byte
	order [encodedCapacity]eventKey // ring of keys, oldest first at next
	next  int
}

type eventKey struct {
	typ watch.EventType
	obj runtime.Object
}

func newEncodedEvents() *encodedEvents {
	return &encodedEvents{lines: map[eventKey][]byte{}}
}

// line returns the JSON line (with its newline) of the event; the caller
// must not change it.
func (c *encodedEvents) line(typ watch.EventType, obj runtime.Object) ([]byte, error) {
	k := eventKey{typ, obj}
	c.mu.Lock()
	b, ok := c.lines[k]
	c.mu.Unlock()
	if ok {
		return b, nil
	}
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(watchEvent{Type: typ, Object: obj}); err != nil {
		return nil, err
	}
	b = buf.Bytes()
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.lines[k]; !ok {
		delete(c.lines, c.order[c.next])
		c.order[c.next] = k
		c.next = (c.next + 1) % encodedCapacity
		c.lines[k] = b
	}
	return b, nil
}
