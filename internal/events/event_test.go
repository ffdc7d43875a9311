package events

import (
	"testing"

	"github.com/skiffrt/skiff/internal/store"
)

func TestFromContainer(t *testing.T) {
	ctr := func(s store.ContainerState) store.Container {
		return store.Container{ID: "c1", SandboxID: "p1", State: s}
	}
	tests := []struct {
		name   string
		change store.Change[store.Container]
		want   Type
		ok     bool
	}{
		{"added", store.Change[store.Container]{Op: store.OpAdd, New: ctr(store.ContainerCreated)}, Created, true},
		{"pid recorded", store.Change[store.Container]{Op: store.OpUpdate, Old: ctr(store.ContainerCreated), New: ctr(store.ContainerCreated)}, 0, false},
		{"started", store.Change[store.Container]{Op: store.OpUpdate, Old: ctr(store.ContainerCreated), New: ctr(store.ContainerRunning)}, Started, true},
		{"exited", store.Change[store.Container]{Op: store.OpUpdate, Old: ctr(store.ContainerRunning), New: ctr(store.ContainerExited)}, Stopped, true},
		{"never started", store.Change[store.Container]{Op: store.OpUpdate, Old: ctr(store.ContainerCreated), New: ctr(store.ContainerExited)}, Stopped, true},
		{"lost", store.Change[store.Container]{Op: store.OpUpdate, Old: ctr(store.ContainerRunning), New: ctr(store.ContainerUnknown)}, Stopped, true},
		{"lost, then exit known", store.Change[store.Container]{Op: store.OpUpdate, Old: ctr(store.ContainerUnknown), New: ctr(store.ContainerExited)}, 0, false},
		{"removed", store.Change[store.Container]{Op: store.OpDelete, Old: ctr(store.ContainerExited)}, Deleted, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := FromContainer(tt.change)
			if ok != tt.ok || (ok && e.Type != tt.want) {
				t.Fatalf("got %v %v, want %v %v", e.Type, ok, tt.want, tt.ok)
			}
			if ok && (e.ContainerID != "c1" || e.SandboxID != "p1" || e.Container == nil || e.Sandbox != nil || e.Time.IsZero()) {
				t.Errorf("event %+v", e)
			}
		})
	}
}

func TestFromSandbox(t *testing.T) {
	pod := func(s store.SandboxState) store.Sandbox { return store.Sandbox{ID: "p1", State: s} }
	tests := []struct {
		name   string
		change store.Change[store.Sandbox]
		want   Type
		ok     bool
	}{
		{"added", store.Change[store.Sandbox]{Op: store.OpAdd, New: pod(store.SandboxNotReady)}, Created, true},
		{"ready", store.Change[store.Sandbox]{Op: store.OpUpdate, Old: pod(store.SandboxNotReady), New: pod(store.SandboxReady)}, Started, true},
		{"same state", store.Change[store.Sandbox]{Op: store.OpUpdate, Old: pod(store.SandboxReady), New: pod(store.SandboxReady)}, 0, false},
		{"stopped", store.Change[store.Sandbox]{Op: store.OpUpdate, Old: pod(store.SandboxReady), New: pod(store.SandboxNotReady)}, Stopped, true},
		{"removed", store.Change[store.Sandbox]{Op: store.OpDelete, Old: pod(store.SandboxNotReady)}, Deleted, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := FromSandbox(tt.change)
			if ok != tt.ok || (ok && e.Type != tt.want) {
				t.Fatalf("got %v %v, want %v %v", e.Type, ok, tt.want, tt.ok)
			}
			if ok && (e.ContainerID != "p1" || e.SandboxID != "p1" || e.Sandbox == nil || e.Container != nil) {
				t.Errorf("event %+v", e)
			}
		})
	}
}
