package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/log"
)

// Record is what a Table holds.
type Record interface {
	// Key returns the record's ID and unique name.
	Key() (id, name string)
}

// Table holds the records of one kind, keyed by ID, in one bucket.
type Table[R Record] struct {
	db     *bolt.DB
	bucket []byte
	kind   string // for messages: "container", "pod sandbox"

	mu       sync.RWMutex // guards the fields below
	byID     map[string]R
	names    map[string]string // name → ID
	onChange func(Change[R])
}

// Op is what a Change did.
type Op int

// The operations of a Change.
const (
	OpAdd Op = iota
	OpUpdate
	OpDelete
)

// Change is one change of a record, once it is persisted. Old is the
// zero record for an add, New for a delete.
type Change[R Record] struct {
	Op       Op
	Old, New R
}

// OnChange makes every later Add, Update and Delete call fn with the
// change, after it is persisted and while the table is still locked, so
// that fn sees the changes of one table in their order. fn must be quick,
// must not block and must not call into the table.
func (t *Table[R]) OnChange(fn func(Change[R])) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.onChange = fn
}

func (t *Table[R]) changed(c Change[R]) {
	if t.onChange != nil {
		t.onChange(c)
	}
}

// openTable loads bucket of db into memory.
func openTable[R Record](db *bolt.DB, bucket, kind string) (*Table[R], error) {
	t := &Table[R]{db: db, bucket: []byte(bucket), kind: kind, byID: map[string]R{}, names: map[string]string{}}
	err := db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(t.bucket)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			var r R
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode %s %s: %w", kind, k, err)
			}
			id, name := r.Key()
			t.byID[id], t.names[name] = r, id
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("load %s records: %w", kind, err)
	}
	return t, nil
}

// Add stores a new record. Its ID must be new; its name must be free.
func (t *Table[R]) Add(r R) error {
	id, name := r.Key()
	t.mu.Lock()
	defer t.mu.Unlock()
	if holder, ok := t.names[name]; ok {
		return fmt.Errorf("%w: %s name %q is in use by %s", errdefs.ErrAlreadyExists, t.kind, name, holder)
	}
	if _, ok := t.byID[id]; ok {
		return fmt.Errorf("%w: %s ID %s", errdefs.ErrAlreadyExists, t.kind, id)
	}
	if err := t.put(id, r); err != nil {
		return err
	}
	t.byID[id], t.names[name] = r, id
	t.changed(Change[R]{Op: OpAdd, New: r})
	return nil
}

// Get returns the record whose ID is id or starts with it.
func (t *Table[R]) Get(id string) (R, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	full, err := t.resolve(id)
	if err != nil {
		var zero R
		return zero, err
	}
	return t.byID[full], nil
}

func (t *Table[R]) resolve(prefix string) (string, error) {
	if prefix == "" {
		return "", fmt.Errorf("%w: %s ID is empty", errdefs.ErrInvalidArgument, t.kind)
	}
	if _, ok := t.byID[prefix]; ok {
		return prefix, nil
	}
	var found []string
	for id := range t.byID {
		if strings.HasPrefix(id, prefix) {
			found = append(found, id)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("%s %q: %w", t.kind, prefix, errdefs.ErrNotFound)
	case 1:
		return found[0], nil
	}
	sort.Strings(found)
	return "", fmt.Errorf("%w: %s ID prefix %q is ambiguous: %s", errdefs.ErrInvalidArgument, t.kind, prefix, strings.Join(found, ", "))
}

// Update applies fn to the record with the given full ID and stores the
// result; if fn fails, nothing changes. fn may not change the record's ID
// or name.
func (t *Table[R]) Update(id string, fn func(R) (R, error)) (R, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var zero R
	cur, ok := t.byID[id]
	if !ok {
		return zero, fmt.Errorf("%s %q: %w", t.kind, id, errdefs.ErrNotFound)
	}
	next, err := fn(cur)
	if err != nil {
		return zero, err
	}
	if nid, nname := next.Key(); nid != id || t.names[nname] != id {
		return zero, fmt.Errorf("%w: update of %s %s changed its ID or name", errdefs.ErrInternal, t.kind, id)
	}
	if err := t.put(id, next); err != nil {
		return zero, err
	}
	t.byID[id] = next
	t.changed(Change[R]{Op: OpUpdate, Old: cur, New: next})
	return next, nil
}

// Delete removes the record with the given full ID; a missing one is fine.
func (t *Table[R]) Delete(id string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	r, ok := t.byID[id]
	if !ok {
		return nil
	}
	err := t.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(t.bucket).Delete([]byte(id)) })
	if err != nil {
		return fmt.Errorf("delete %s %s: %w", t.kind, id, err)
	}
	_, name := r.Key()
	delete(t.byID, id)
	delete(t.names, name)
	t.changed(Change[R]{Op: OpDelete, Old: r})
	return nil
}

// List returns the records for which keep returns true (all if keep is
// nil), sorted by ID.
func (t *Table[R]) List(keep func(R) bool) []R {
	t.mu.RLock()
	out := make([]R, 0, len(t.byID))
	for _, r := range t.byID {
		if keep == nil || keep(r) {
			out = append(out, r)
		}
	}
	t.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		a, _ := out[i].Key()
		b, _ := out[j].Key()
		return a < b
	})
	return out
}

func (t *Table[R]) put(id string, r R) error {
	raw, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode %s %s: %w", t.kind, id, err)
	}
	defer log.Span(context.Background(), "bbolt.write")()
	err = t.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(t.bucket).Put([]byte(id), raw) })
	if err != nil {
		return fmt.Errorf("store %s %s: %w", t.kind, id, err)
	}
	return nil
}
