package controllertest

import (
	"fmt"
	"slices"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
)

// Recorder keeps the events recorded, in order. It implements the
// EventRecorder of client-go and the smaller Eventf-only interfaces the
// controllers declare. It is safe for concurrent use.
type Recorder struct {
	mu sync.Mutex
	// events are "type reason message"; reasons are the reasons alone.
	events, reasons []string
}

func (r *Recorder) Event(_ runtime.Object, eventtype, reason, message string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, eventtype+" "+reason+" "+message)
	r.reasons = append(r.reasons, reason)
}

func (r *Recorder) Eventf(o runtime.Object, eventtype, reason, messageFmt string, args ...any) {
	r.Event(o, eventtype, reason, fmt.Sprintf(messageFmt, args...))
}

func (r *Recorder) AnnotatedEventf(o runtime.Object, _ map[string]string, eventtype, reason, messageFmt string, args ...any) {
	r.Eventf(o, eventtype, reason, messageFmt, args...)
}

// Events are the events recorded so far, as "type reason message".
func (r *Recorder) Events() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// Reasons are the reasons of the events recorded so far.
func (r *Recorder) Reasons() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.reasons)
}
