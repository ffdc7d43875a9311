package cri

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestParallel(t *testing.T) {
	tests := []struct {
		name                 string
		n, workers, failEach int
		wantOK, wantErr      int
		wantMaxInFlight      int32
	}{
		{"serial", 10, 1, 0, 10, 0, 1},
		{"four at a time", 20, 4, 0, 20, 0, 4},
		{"errors are counted apart", 9, 3, 3, 6, 3, 3},
		{"no work", 0, 4, 0, 0, 0, 0},
		{"workers below one run serially", 3, 0, 0, 3, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var inFlight, most atomic.Int32
			seen := make([]atomic.Bool, tt.n)
			ds, errs := Parallel(tt.n, tt.workers, func(i int) (time.Duration, error) {
				cur := inFlight.Add(1)
				for {
					m := most.Load()
					if cur <= m || most.CompareAndSwap(m, cur) {
						break
					}
				}
				time.Sleep(2 * time.Millisecond)
				inFlight.Add(-1)
				if seen[i].Swap(true) {
					t.Errorf("op(%d) ran twice", i)
				}
				if tt.failEach > 0 && i%tt.failEach == 0 {
					return 0, errors.New("boom")
				}
				return time.Millisecond, nil
			})
			if len(ds) != tt.wantOK || len(errs) != tt.wantErr {
				t.Errorf("%d durations, %d errors; want %d, %d", len(ds), len(errs), tt.wantOK, tt.wantErr)
			}
			if most.Load() > tt.wantMaxInFlight {
				t.Errorf("%d calls in flight at once, want at most %d", most.Load(), tt.wantMaxInFlight)
			}
		})
	}
}
