package store

import (
	"fmt"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Store holds the sandbox and container tables in one database file.
type Store struct {
	db         *bolt.DB
	Sandboxes  *Table[Sandbox]
	Containers *Table[Container]
}

// Open opens (creating) dir/runtime.db and loads it.
func Open(dir string) (*Store, error) {
	path := filepath.Join(dir, "runtime.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("open runtime metadata %s: %w", path, err)
	}
	sandboxes, err := openTable[Sandbox](db, "sandboxes", "pod sandbox")
	if err != nil {
		db.Close()
		return nil, err
	}
	containers, err := openTable[Container](db, "containers", "container")
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db, Sandboxes: sandboxes, Containers: containers}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }
