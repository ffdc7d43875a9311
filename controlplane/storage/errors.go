package storage

import "errors"

// Sentinel errors; wrapped with %w, tested with errors.Is.
var (
	// ErrNotFound: the key does not exist (at the revision asked for).
	ErrNotFound = errors.New("not found")
	// ErrExists: Create found the key already there.
	ErrExists = errors.New("already exists")
	// ErrConflict: the key's revision is not the one the write expected.
	ErrConflict = errors.New("resource version conflict")
	// ErrGone: the revision asked for has been compacted.
	ErrGone = errors.New("resource version too old")
	// ErrBadContinue: a continue token that this store did not issue.
	ErrBadContinue = errors.New("invalid continue token")
)
