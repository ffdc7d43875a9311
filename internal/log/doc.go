// Package log carries a *slog.Logger in a context and builds the daemon's
// root logger from its configured level and format.
//
// Code that has a context logs through G(ctx); code that learns an
// identifier adds it once with WithAttrs, using the fixed keys below, so
// that every later line about the object carries it.
package log
