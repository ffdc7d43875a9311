package errdefs

import (
	"errors"
	"fmt"
	"testing"
)

func TestFound(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		v       int
		err     error
		want    int
		ok      bool
		wantErr error
	}{
		{"found", 7, nil, 7, true, nil},
		{"gone", 0, fmt.Errorf("container %q: %w", "x", ErrNotFound), 0, false, nil},
		{"other error", 3, boom, 0, false, boom},
		{"ambiguous", 0, fmt.Errorf("%w: prefix", ErrInvalidArgument), 0, false, ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok, err := Found(tt.v, tt.err)
			if v != tt.want || ok != tt.ok || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("Found(%d, %v) = %d, %v, %v; want %d, %v, %v", tt.v, tt.err, v, ok, err, tt.want, tt.ok, tt.wantErr)
			}
		})
	}
}
