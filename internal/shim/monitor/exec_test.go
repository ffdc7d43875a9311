package monitor

import (
	"bytes"
	"io"
	"testing"

	"github.com/skiffrt/skiff/internal/shim/api"
)

func TestCapture(t *testing.T) {
	for _, tc := range []struct {
		name      string
		size      int
		truncated bool
	}{
		{"nothing", 0, false},
		{"a line", 3, false},
		{"grows", 100_000, false},
		{"exactly the cap", api.MaxExecOutput, false},
		{"over the cap", api.MaxExecOutput + 5000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := bytes.Repeat([]byte("x"), tc.size)
			var c capture
			c.readFrom(io.MultiReader(bytes.NewReader(data[:tc.size/2]), bytes.NewReader(data[tc.size/2:])))
			want := min(tc.size, api.MaxExecOutput)
			if len(c.buf) != want || c.truncated != tc.truncated {
				t.Errorf("got %d bytes, truncated %v; want %d, %v", len(c.buf), c.truncated, want, tc.truncated)
			}
		})
	}
}
