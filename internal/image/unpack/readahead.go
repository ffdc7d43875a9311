package unpack

import (
	"io"
	"sync"
)

// Read-ahead geometry: decompressed data is produced in chunks of
// readAheadChunk bytes, up to readAheadChunks ahead of the reader.
const (
	readAheadChunk  = 256 << 10
	readAheadChunks = 4
)

// readAhead runs src in its own goroutine, so that decompressing (CPU) and
// unpacking (mostly file system time in the kernel) overlap instead of
// taking turns: on two CPUs a gzip layer unpacks in about the time of the
// slower of the two.
//
// The result is for one reader goroutine. Close stops the producer, waits
// for its Read in flight to return, then closes src; closing the blob
// source unblocks a Read stuck on it.
type readAhead struct {
	src  io.ReadCloser
	full chan *chunk
	free chan *chunk
	done chan struct{}
	exit chan struct{}
	once sync.Once
	cur  *chunk
	off  int
	cerr error
}

type chunk struct {
	buf []byte
	n   int
	err error // after buf[:n]; io.EOF at the end
}

func newReadAhead(src io.ReadCloser) *readAhead {
	r := &readAhead{
		src:  src,
		full: make(chan *chunk, readAheadChunks),
		free: make(chan *chunk, readAheadChunks),
		done: make(chan struct{}),
		exit: make(chan struct{}),
	}
	for range readAheadChunks {
		r.free <- &chunk{buf: make([]byte, readAheadChunk)}
	}
	go r.produce()
	return r
}

func (r *readAhead) produce() {
	defer close(r.exit)
	for {
		var c *chunk
		select {
		case c = <-r.free:
		case <-r.done:
			return
		}
		c.n, c.err = 0, nil
		for c.n < len(c.buf) && c.err == nil {
			var m int
			m, c.err = r.src.Read(c.buf[c.n:])
			c.n += m
		}
		select {
		case r.full <- c:
		case <-r.done:
			return
		}
		if c.err != nil {
			return
		}
	}
}

func (r *readAhead) Read(p []byte) (int, error) {
	for r.cur == nil || r.off == r.cur.n {
		if r.cur != nil {
			if r.cur.err != nil {
				return 0, r.cur.err
			}
			r.free <- r.cur // never blocks: one slot per chunk
		}
		r.cur, r.off = <-r.full, 0
	}
	n := copy(p, r.cur.buf[r.off:r.cur.n])
	r.off += n
	return n, nil
}

func (r *readAhead) Close() error {
	r.once.Do(func() {
		close(r.done)
		<-r.exit
		r.cerr = r.src.Close()
	})
	return r.cerr
}
