package store

import (
	"crypto/rand"
	"encoding/hex"
)

// NewID returns a random 64-hex-digit object ID.
func NewID() string {
	var b [32]byte
	rand.Read(b[:]) // Never fails on Linux (crypto/rand's contract since Go 1.24).
	return hex.EncodeToString(b[:])
}
