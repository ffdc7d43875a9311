package unpack

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"testing"
	"testing/iotest"
	"time"
)

// closeCounter records Close on a source.
type closeCounter struct {
	io.Reader
	closed int
}

func (c *closeCounter) Close() error { c.closed++; return nil }

func TestReadAhead(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 3*readAheadChunk/16+77) // several chunks and a tail
	boom := errors.New("boom")
	tests := []struct {
		name    string
		src     io.Reader
		readAll bool
		want    []byte
		wantErr error
	}{
		{name: "all", src: bytes.NewReader(data), readAll: true, want: data},
		{name: "one byte reads", src: iotest.OneByteReader(bytes.NewReader(data[:5000])), readAll: true, want: data[:5000]},
		{name: "empty", src: bytes.NewReader(nil), readAll: true, want: []byte{}},
		{name: "error after data", src: io.MultiReader(bytes.NewReader(data[:1000]), iotest.ErrReader(boom)),
			readAll: true, want: data[:1000], wantErr: boom},
		{name: "closed early", src: bytes.NewReader(data)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			src := &closeCounter{Reader: tc.src}
			r := newReadAhead(src)
			if tc.readAll {
				var got bytes.Buffer
				_, err := io.Copy(&got, r)
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if !bytes.Equal(got.Bytes(), tc.want) {
					t.Errorf("read %d bytes, want %d", got.Len(), len(tc.want))
				}
			} else if _, err := r.Read(make([]byte, 10)); err != nil {
				t.Fatal(err)
			}
			r.Close()
			r.Close()
			if src.closed != 1 {
				t.Errorf("source closed %d times, want 1", src.closed)
			}
			for deadline := time.Now().Add(time.Second); runtime.NumGoroutine() > before; {
				if time.Now().After(deadline) {
					t.Fatalf("%d goroutines, %d before", runtime.NumGoroutine(), before)
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
}
