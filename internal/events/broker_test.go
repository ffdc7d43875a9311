package events

import (
	"strings"
	"testing"
	"time"
)

func TestEveryListenerGetsEveryEventInOrder(t *testing.T) {
	b := NewBroker(16, nil)
	a, c := b.Subscribe(), b.Subscribe()
	for i := range 10 {
		b.Publish(Event{ContainerID: string(rune('a' + i))})
	}
	for _, l := range []*Listener{a, c} {
		var got string
		for range 10 {
			got += (<-l.C).ContainerID
		}
		if got != "abcdefghij" {
			t.Errorf("listener got %q", got)
		}
	}
}

func TestSlowListenerDroppedWithoutBlocking(t *testing.T) {
	var reasons []string
	b := NewBroker(3, func(r string) { reasons = append(reasons, r) })
	slow, fast := b.Subscribe(), b.Subscribe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 5 {
			b.Publish(Event{})
			<-fast.C
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Publish blocked on a listener that does not read")
	}
	n := 0
	for range slow.C {
		n++
	}
	if n != 3 {
		t.Errorf("the slow listener got %d events before being dropped, want its buffer's 3", n)
	}
	if err := slow.Err(); err == nil || !strings.Contains(err.Error(), "3 events behind") {
		t.Errorf("Err = %v", err)
	}
	if len(reasons) != 1 || b.Listeners() != 1 {
		t.Errorf("dropped %q; %d listeners left", reasons, b.Listeners())
	}
	if fast.Err() != nil {
		t.Errorf("the fast listener: %v", fast.Err())
	}
}

func TestCloseStopsDelivery(t *testing.T) {
	b := NewBroker(4, nil)
	l := b.Subscribe()
	l.Close()
	l.Close()
	b.Publish(Event{})
	if _, ok := <-l.C; ok {
		t.Error("an event after Close")
	}
	if l.Err() != nil || b.Listeners() != 0 {
		t.Errorf("Err %v, %d listeners", l.Err(), b.Listeners())
	}
}
