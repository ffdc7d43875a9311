package events

import (
	"time"

	"github.com/skiffrt/skiff/internal/store"
)

// Type is what happened to a container or pod.
type Type int

// The types of events, as the CRI's ContainerEventType.
const (
	Created Type = iota
	Started
	Stopped
	Deleted
)

func (t Type) String() string {
	return [...]string{"created", "started", "stopped", "deleted"}[t]
}

// Event is one change in the life of a container or a pod sandbox (the
// CRI reports a pod's as its own "container", the pause container).
type Event struct {
	Type Type
	Time time.Time
	// SandboxID is the pod; ContainerID the container, or the pod's ID
	// for the pod's own events.
	SandboxID, ContainerID string
	// Container is the container's record after the change (before it,
	// for Deleted); nil for a pod's events.
	Container *store.Container
	// Sandbox is the pod's record after the change (before it, for
	// Deleted), for a pod's events only.
	Sandbox *store.Sandbox
}

// FromContainer returns the event a change of a container record makes,
// if any: created when added, started when it began running, stopped when
// it exited (or became unknown), deleted when removed.
func FromContainer(c store.Change[store.Container]) (Event, bool) {
	var typ Type
	rec := c.New
	switch {
	case c.Op == store.OpAdd:
		typ = Created
	case c.Op == store.OpDelete:
		typ, rec = Deleted, c.Old
	case c.Old.State == c.New.State:
		return Event{}, false
	case c.New.State == store.ContainerRunning:
		typ = Started
	case c.New.State == store.ContainerExited && c.Old.State != store.ContainerUnknown,
		c.New.State == store.ContainerUnknown:
		typ = Stopped
	default:
		return Event{}, false
	}
	return Event{Type: typ, Time: time.Now(), SandboxID: rec.SandboxID, ContainerID: rec.ID, Container: &rec}, true
}

// FromSandbox returns the event a change of a pod record makes, if any:
// created when added, started when it became ready, stopped when it
// stopped being ready, deleted when removed.
func FromSandbox(c store.Change[store.Sandbox]) (Event, bool) {
	var typ Type
	rec := c.New
	switch {
	case c.Op == store.OpAdd:
		typ = Created
	case c.Op == store.OpDelete:
		typ, rec = Deleted, c.Old
	case c.Old.State == c.New.State:
		return Event{}, false
	case c.New.State == store.SandboxReady:
		typ = Started
	default:
		typ = Stopped
	}
	return Event{Type: typ, Time: time.Now(), SandboxID: rec.ID, ContainerID: rec.ID, Sandbox: &rec}, true
}
