package pods

import (
	"errors"
	"sync/atomic"
	"testing"
)

func TestSlowStart(t *testing.T) {
	for _, tt := range []struct {
		count, quota      int // calls past quota fail
		wantOK, wantCalls int
	}{
		{count: 10, quota: 10, wantOK: 10, wantCalls: 10},
		{count: 10, quota: 0, wantOK: 0, wantCalls: 1},
		{count: 10, quota: 2, wantOK: 2, wantCalls: 3}, // 1, then 2 with one failure
		{count: 10, quota: 4, wantOK: 4, wantCalls: 7}, // 1, 2, then 4 with three failures
		{count: 5, quota: 5, wantOK: 5, wantCalls: 5},  // 1, 2, then the last 2
		{count: 0, quota: 0, wantOK: 0, wantCalls: 0},
	} {
		var calls atomic.Int32
		ok, err := SlowStart(tt.count, func() error {
			if int(calls.Add(1)) > tt.quota {
				return errors.New("quota")
			}
			return nil
		})
		if ok != tt.wantOK || int(calls.Load()) != tt.wantCalls || (err != nil) != (tt.quota < tt.count) {
			t.Errorf("%+v: %d ok, %d calls, err %v", tt, ok, calls.Load(), err)
		}
	}
}
