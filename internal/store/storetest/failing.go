// Package storetest holds fakes of the store for the tests of the packages
// that keep their records in it.
package storetest

import "github.com/skiffrt/skiff/internal/store"

// FailingTable is a real store table whose Update fails with FailUpdate
// while FailUpdate is set; everything else goes to the table. Setting
// FailUpdate is not safe while Update runs.
type FailingTable[R store.Record] struct {
	*store.Table[R]
	FailUpdate error
}

func (f *FailingTable[R]) Update(id string, fn func(R) (R, error)) (R, error) {
	if f.FailUpdate != nil {
		var zero R
		return zero, f.FailUpdate
	}
	return f.Table.Update(id, fn)
}
