// Package events turns the persisted changes of pod and container records
// into the life-cycle events of the CRI's GetContainerEvents (created,
// started, stopped, deleted) and hands them to any number of listeners.
//
// Events come from the store's change hook (store.Table.OnChange), so an
// event is published only after the change it tells of is on disk, and
// events of one table come in the order of its changes. Publish never
// blocks: each listener has a buffer of its own, and a listener that lets
// it fill up (a client that does not read) is dropped — its channel is
// closed and Err says why — rather than holding up the runtime or losing
// events silently. As long as a listener stays, it misses no event.
package events
