// Package store keeps skiff's pod sandboxes and containers: one record per
// object, persisted in a bbolt database and cached in memory.
//
// Every change goes through Add, Update or Delete, which write the database
// first and change memory only after the write succeeded, so memory is
// never ahead of the disk. Records are values: callers get copies and
// change a record only through Update. Names are unique: adding a second
// record under a name fails with errdefs.ErrAlreadyExists naming the
// holder. IDs resolve by any unique prefix, as crictl expects.
//
// OnChange hands every persisted change of a table, in order, to one
// listener (the container events of the CRI).
//
// Table is safe for concurrent use, with one lock per table. Update holds
// it while its function runs and the record is written: the function must
// be quick and must not call back into the table or into the runtime.
package store
