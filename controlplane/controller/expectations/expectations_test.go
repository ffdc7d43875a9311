package expectations

import (
	"testing"
	"time"
)

func TestExpectations(t *testing.T) {
	now := time.Unix(1000, 0)
	clock := func() time.Time { return now }
	tests := []struct {
		name string
		act  func(e *Expectations)
		want bool
	}{
		{"nothing pending", func(*Expectations) {}, true},
		{"creations pending", func(e *Expectations) { e.ExpectCreations("ns/a", 2); e.CreationObserved("ns/a") }, false},
		{"creations all seen", func(e *Expectations) {
			e.ExpectCreations("ns/a", 2)
			e.CreationObserved("ns/a")
			e.CreationObserved("ns/a")
		}, true},
		{"other key's creations do not count", func(e *Expectations) { e.ExpectCreations("ns/a", 1); e.CreationObserved("ns/b") }, false},
		{"deletions pending", func(e *Expectations) {
			e.ExpectDeletions("ns/a", []string{"ns/p1", "ns/p2"})
			e.DeletionObserved("ns/a", "ns/p1")
		}, false},
		{"a deletion counts once", func(e *Expectations) {
			e.ExpectDeletions("ns/a", []string{"ns/p1", "ns/p2"})
			e.DeletionObserved("ns/a", "ns/p1")
			e.DeletionObserved("ns/a", "ns/p1")
		}, false},
		{"deletions all seen", func(e *Expectations) {
			e.ExpectDeletions("ns/a", []string{"ns/p1", "ns/p2"})
			e.DeletionObserved("ns/a", "ns/p2")
			e.DeletionObserved("ns/a", "ns/p1")
		}, true},
		{"an unknown deletion does not count", func(e *Expectations) {
			e.ExpectDeletions("ns/a", []string{"ns/p1"})
			e.DeletionObserved("ns/a", "ns/other")
		}, false},
		{"new expectations replace old ones", func(e *Expectations) {
			e.ExpectDeletions("ns/a", []string{"ns/p1"})
			e.ExpectCreations("ns/a", 1)
			e.CreationObserved("ns/a")
		}, true},
		{"forgotten", func(e *Expectations) { e.ExpectCreations("ns/a", 3); e.Forget("ns/a") }, true},
		{"expired", func(e *Expectations) { e.ExpectCreations("ns/a", 3); now = now.Add(Timeout + time.Second) }, true},
		{"not yet expired", func(e *Expectations) { e.ExpectCreations("ns/a", 3); now = now.Add(Timeout - time.Second) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newWithClock(clock)
			tt.act(e)
			if got := e.Satisfied("ns/a"); got != tt.want {
				t.Fatalf("Satisfied = %v, want %v", got, tt.want)
			}
		})
	}
}
