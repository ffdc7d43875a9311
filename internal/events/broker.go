package events

import (
	"fmt"
	"sync"

	"github.com/skiffrt/skiff/internal/store"
)

// DefaultBuffer is how many events a listener may fall behind before it
// is dropped: thousands of pod changes, far more than a reading client
// lags.
const DefaultBuffer = 4096

// Broker hands each published event to every listener. It is safe for
// concurrent use; the zero value is not: use NewBroker.
type Broker struct {
	buffer  int
	dropped func(reason string) // told of each listener dropped

	mu        sync.Mutex // guards the fields below; held while publishing
	listeners map[*Listener]struct{}
}

// NewBroker returns a Broker whose listeners may lag buffer events;
// dropped, when not nil, is called (without the broker's lock) for each
// listener dropped.
func NewBroker(buffer int, dropped func(reason string)) *Broker {
	return &Broker{buffer: buffer, dropped: dropped, listeners: map[*Listener]struct{}{}}
}

// Listener receives the events published after it subscribed, in order,
// on C. C is closed when the listener is dropped (Err says why) or
// closed.
type Listener struct {
	C <-chan Event
	c chan Event
	b *Broker

	err error // set before c is closed, under b.mu
}

// Subscribe adds a listener.
func (b *Broker) Subscribe() *Listener {
	c := make(chan Event, b.buffer)
	l := &Listener{C: c, c: c, b: b}
	b.mu.Lock()
	b.listeners[l] = struct{}{}
	b.mu.Unlock()
	return l
}

// Publish hands e to every listener without waiting for any: a listener
// whose buffer is full is dropped.
func (b *Broker) Publish(e Event) {
	var dropped []string
	b.mu.Lock()
	for l := range b.listeners {
		select {
		case l.c <- e:
		default:
			l.err = fmt.Errorf("dropped: the listener fell %d events behind", b.buffer)
			delete(b.listeners, l)
			close(l.c)
			dropped = append(dropped, l.err.Error())
		}
	}
	b.mu.Unlock()
	if b.dropped != nil {
		for _, r := range dropped {
			b.dropped(r)
		}
	}
}

// Close removes the listener; it receives nothing more. Closing twice,
// or after being dropped, is fine.
func (l *Listener) Close() {
	b := l.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.listeners[l]; ok {
		delete(b.listeners, l)
		close(l.c)
	}
}

// Err says why C was closed by the broker: nil while the listener is
// subscribed or after Close.
func (l *Listener) Err() error {
	l.b.mu.Lock()
	defer l.b.mu.Unlock()
	return l.err
}

// Listeners is how many listeners are subscribed.
func (b *Broker) Listeners() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.listeners)
}

// Watch publishes the events that the changes of the pod and container
// tables make, from now on.
func (b *Broker) Watch(sandboxes *store.Table[store.Sandbox], containers *store.Table[store.Container]) {
	sandboxes.OnChange(func(c store.Change[store.Sandbox]) {
		if e, ok := FromSandbox(c); ok {
			b.Publish(e)
		}
	})
	containers.OnChange(func(c store.Change[store.Container]) {
		if e, ok := FromContainer(c); ok {
			b.Publish(e)
		}
	})
}
