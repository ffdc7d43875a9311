package log

import (
	"context"
	"log/slog"
	"time"
)

// Span times one step of a call and, when it ends, logs it at debug level
// as msg=span span=NAME ms=N, with the context's attributes (sandbox and
// container IDs). It is the daemon's cheap trace: with debug off it costs
// one Enabled check. `make bench` sums the spans into the breakdown of a
// pod start.
//
//	defer log.Span(ctx, "cni.add")()
func Span(ctx context.Context, name string) (end func()) {
	l := G(ctx)
	if !l.Enabled(ctx, slog.LevelDebug) {
		return func() {}
	}
	start := time.Now()
	return func() {
		ms := float64(time.Since(start).Microseconds()) / 1000
		l.LogAttrs(ctx, slog.LevelDebug, "span", slog.String("span", name), slog.Float64("ms", ms))
	}
}
