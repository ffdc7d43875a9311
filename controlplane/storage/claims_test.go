package storage_test

import (
	"context"
	"errors"
	"testing"

	"github.com/skiffrt/skiff/controlplane/storage"
)

// held returns the claimed keys under prefix and their owners.
func held(t *testing.T, s *storage.Store, prefix string) map[string]string {
	t.Helper()
	claims, _, err := s.ListClaims(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range claims {
		out[c.Key] = string(c.Owner)
	}
	return out
}

func TestClaimsFollowTheirObject(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	ka, kb := storage.Key("", "configmaps", "ns", "a"), storage.Key("", "configmaps", "ns", "b")
	a := cm("a", "1")
	if err := s.CreateWith(ctx, ka, a, storage.Claims{Take: []string{"ranges/x/1", "ranges/x/2"}, Owner: []byte("a")}); err != nil {
		t.Fatal(err)
	}
	// b wants 2, which a holds: nothing of b's write happens.
	err := s.CreateWith(ctx, kb, cm("b", "1"), storage.Claims{Take: []string{"ranges/x/3", "ranges/x/2"}, Owner: []byte("b")})
	var ce *storage.ClaimError
	if !errors.As(err, &ce) || ce.Key != "ranges/x/2" || string(ce.Holder) != "a" || !errors.Is(err, storage.ErrClaimed) {
		t.Fatalf("create over a held claim: %v", err)
	}
	if _, err := s.Get(ctx, kb); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("b stored although its claim failed: %v", err)
	}
	if got := held(t, s, "ranges/x/"); len(got) != 2 || got["ranges/x/1"] != "a" || got["ranges/x/2"] != "a" {
		t.Fatalf("claims %v", got)
	}
	// A create of an existing key says so, whatever it claims.
	if err := s.CreateWith(ctx, ka, cm("a", "2"), storage.Claims{Take: []string{"ranges/x/1"}, Owner: []byte("a2")}); !errors.Is(err, storage.ErrExists) {
		t.Fatalf("second create: %v", err)
	}
	// a moves from 2 to 3; a release of a key a does not hold is ignored.
	if err := s.UpdateWith(ctx, ka, a, rv(t, a), storage.Claims{Take: []string{"ranges/x/3"}, Release: []string{"ranges/x/2", "ranges/x/9"}, Owner: []byte("a")}); err != nil {
		t.Fatal(err)
	}
	if got := held(t, s, "ranges/x/"); len(got) != 2 || got["ranges/x/3"] != "a" {
		t.Fatalf("claims after update %v", got)
	}
	// A stale update is a conflict, not a claim error.
	if err := s.UpdateWith(ctx, ka, cm("a", "3"), rv(t, a)-1, storage.Claims{Take: []string{"ranges/x/4"}, Owner: []byte("a")}); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("stale update: %v", err)
	}
	// b takes 2, now free; then deleting a frees 1 and 3 but not b's 2.
	b := cm("b", "1")
	if err := s.CreateWith(ctx, kb, b, storage.Claims{Take: []string{"ranges/x/2"}, Owner: []byte("b")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteWith(ctx, ka, rv(t, a), storage.Claims{Release: []string{"ranges/x/1", "ranges/x/2", "ranges/x/3"}, Owner: []byte("a")}); err != nil {
		t.Fatal(err)
	}
	if got := held(t, s, "ranges/x/"); len(got) != 1 || got["ranges/x/2"] != "b" {
		t.Fatalf("claims after delete %v", got)
	}
}

func TestRepairClaims(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	kb := storage.Key("", "configmaps", "ns", "b")
	b := cm("b", "1")
	if err := s.Create(ctx, kb, b); err != nil {
		t.Fatal(err)
	}
	if err := s.SetClaim(ctx, "ranges/y/1", 0, []byte("b"), kb, rv(t, b)); err != nil {
		t.Fatal(err)
	}
	claims, _, err := s.ListClaims(ctx, "ranges/y/")
	if err != nil || len(claims) != 1 {
		t.Fatalf("claims %v: %v", claims, err)
	}
	// Conditions: the claim moved, or its holder did.
	if err := s.SetClaim(ctx, "ranges/y/1", 0, []byte("c"), kb, rv(t, b)); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("claim of a held key: %v", err)
	}
	if err := s.SetClaim(ctx, "ranges/y/2", 0, []byte("b"), kb, rv(t, b)-1); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("claim for a holder that changed: %v", err)
	}
	if err := s.DropClaim(ctx, "ranges/y/1", claims[0].ModRevision-1); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("drop of a moved claim: %v", err)
	}
	if err := s.DropClaim(ctx, "ranges/y/1", claims[0].ModRevision); err != nil {
		t.Fatal(err)
	}
	if got := held(t, s, "ranges/y/"); len(got) != 0 {
		t.Fatalf("claims after drop %v", got)
	}
}
