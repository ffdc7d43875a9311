package monitor

import (
	"testing"

	"github.com/skiffrt/skiff/internal/shim/api"
)

// drainQueue returns what is queued for s until its queue is closed.
func drainQueue(s *subscriber) []string {
	var got []string
	for ch := range s.queue {
		got = append(got, string(rune('0'+ch.kind))+string(ch.data))
	}
	return got
}

func TestFanout(t *testing.T) {
	var f fanout
	f.publish(api.StreamStdout, []byte("before anyone")) // goes nowhere
	both := f.subscribe(api.StreamStdout, api.StreamStderr)
	outOnly := f.subscribe(api.StreamStdout)
	leaver := f.subscribe(api.StreamStdout)
	buf := []byte("a")
	f.publish(api.StreamStdout, buf)
	buf[0] = 'z' // the publisher reuses its buffer
	f.publish(api.StreamStderr, []byte("b"))
	f.unsubscribe(leaver)
	f.unsubscribe(leaver) // twice is fine
	f.publish(api.StreamStdout, []byte("c"))
	f.close()
	if got := drainQueue(both); len(got) != 3 || got[0] != "1a" || got[1] != "2b" || got[2] != "1c" {
		t.Errorf("stdout+stderr subscriber got %q", got)
	}
	if got := drainQueue(outOnly); len(got) != 2 || got[0] != "1a" || got[1] != "1c" {
		t.Errorf("stdout subscriber got %q", got)
	}
	if got := drainQueue(leaver); len(got) != 1 {
		t.Errorf("subscriber that left got %q", got)
	}
	if f.subscribe(api.StreamStdout) != nil {
		t.Error("subscribed after the output ended")
	}
}

func TestFanoutDropsSlowSubscriber(t *testing.T) {
	var f fanout
	slow := f.subscribe(api.StreamStdout)
	fast := f.subscribe(api.StreamStdout)
	for i := range subscriberQueue + 1 {
		f.publish(api.StreamStdout, []byte{byte(i)})
		<-fast.queue // keeps up
	}
	if got := drainQueue(slow); len(got) != subscriberQueue || !slow.dropped {
		t.Errorf("slow subscriber: %d chunks, dropped %v; want %d, dropped", len(got), slow.dropped, subscriberQueue)
	}
	f.publish(api.StreamStdout, []byte("after"))
	if ch := <-fast.queue; string(ch.data) != "after" || fast.dropped {
		t.Errorf("fast subscriber got %q, dropped %v", ch.data, fast.dropped)
	}
}
