package keylock

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skiffrt/skiff/internal/errdefs"
)

func TestExclusive(t *testing.T) {
	var m Map
	var inside, most atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			unlock, err := m.Lock(context.Background(), "a")
			if err != nil {
				t.Error(err)
				return
			}
			most.Store(max(most.Load(), inside.Add(1)))
			time.Sleep(100 * time.Microsecond)
			inside.Add(-1)
			unlock()
		})
	}
	wg.Wait()
	if most.Load() != 1 {
		t.Errorf("%d holders at once, want 1", most.Load())
	}
	if m.Len() != 0 {
		t.Errorf("%d keys left", m.Len())
	}
}

func TestReadersShareWritersWait(t *testing.T) {
	var m Map
	ctx := context.Background()
	r1, _ := m.RLock(ctx, "a")
	r2, err := m.RLock(ctx, "a")
	if err != nil {
		t.Fatal("second reader waits for the first")
	}
	other, err := m.Lock(ctx, "b")
	if err != nil {
		t.Fatal("another key is not free")
	}
	other()
	got := make(chan struct{})
	go func() {
		w, err := m.Lock(ctx, "a")
		if err == nil {
			w()
		}
		close(got)
	}()
	select {
	case <-got:
		t.Fatal("writer got the lock beside readers")
	case <-time.After(20 * time.Millisecond):
	}
	// A reader that comes after a waiting writer queues behind it.
	late, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := m.RLock(late, "a"); !errors.Is(err, errdefs.ErrDeadlineExceeded) {
		t.Errorf("late reader: %v, want a deadline error", err)
	}
	r1()
	r2()
	<-got
	if m.Len() != 0 {
		t.Errorf("%d keys left", m.Len())
	}
}

func TestCanceledWaiter(t *testing.T) {
	var m Map
	unlock, _ := m.Lock(context.Background(), "a")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Lock(ctx, "a"); !errors.Is(err, errdefs.ErrCanceled) {
		t.Errorf("err = %v, want canceled", err)
	}
	unlock()
	unlock() // a second call is harmless
	if m.Len() != 0 {
		t.Errorf("%d keys left", m.Len())
	}
	again, err := m.Lock(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	again()
}

func TestHold(t *testing.T) {
	var m Map
	var mu sync.Mutex // guards objects, the store of the test
	objects := map[string]string{"abc123": "v1"}
	get := func(id string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		for full, v := range objects {
			if len(id) > 0 && len(full) >= len(id) && full[:len(id)] == id {
				return full + "=" + v, nil
			}
		}
		return "", errdefs.ErrNotFound
	}
	fullID := func(r string) string { return r[:6] }
	r, unlock, err := Hold(context.Background(), &m, "abc", get, fullID)
	if err != nil || r != "abc123=v1" {
		t.Fatalf("Hold = %q, %v", r, err)
	}
	// A second holder waits; the object goes meanwhile: it learns so.
	done := make(chan error)
	go func() {
		_, _, err := Hold(context.Background(), &m, "abc123", get, fullID)
		done <- err
	}()
	time.Sleep(10 * time.Millisecond)
	mu.Lock()
	delete(objects, "abc123")
	mu.Unlock()
	unlock()
	if err := <-done; !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("Hold of an object removed meanwhile: %v", err)
	}
	if _, _, err := Hold(context.Background(), &m, "zzz", get, fullID); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("Hold of nothing: %v", err)
	}
	if m.Len() != 0 {
		t.Errorf("%d keys left", m.Len())
	}
}
