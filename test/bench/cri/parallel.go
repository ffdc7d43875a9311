package cri

import (
	"sync"
	"time"
)

// Parallel runs op(0) … op(n-1) on workers goroutines and returns the
// durations of the calls that succeeded, in order of completion, and the
// errors of the others.
func Parallel(n, workers int, op func(i int) (time.Duration, error)) ([]time.Duration, []error) {
	var (
		mu   sync.Mutex
		ds   []time.Duration
		errs []error
		wg   sync.WaitGroup
	)
	next := make(chan int)
	for range max(1, workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				d, err := op(i)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					ds = append(ds, d)
				}
				mu.Unlock()
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return ds, errs
}
