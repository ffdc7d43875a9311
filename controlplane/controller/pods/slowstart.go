package pods

import (
	"slices"
	"sync"
)

// SlowStart calls fn count times in batches of 1, 2, 4, … running at
// once, and stops after a batch with a failure, so that a quota or a
// bad template costs one failed call, not hundreds. It returns how many
// calls succeeded and the first error.
func SlowStart(count int, fn func() error) (int, error) {
	done := 0
	for batch := min(count, 1); batch > 0; batch = min(2*batch, count-done) {
		errs := make([]error, batch)
		var wg sync.WaitGroup
		for i := range batch {
			wg.Go(func() { errs[i] = fn() })
		}
		wg.Wait()
		if failed := slices.IndexFunc(errs, func(e error) bool { return e != nil }); failed >= 0 {
			ok := 0
			for _, e := range errs {
				if e == nil {
					ok++
				}
			}
			return done + ok, errs[failed]
		}
		done += batch
	}
	return done, nil
}
