package apiserver

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
)

// watchEvent is one line of a watch stream.
type watchEvent struct {
	Type   watch.EventType `json:"type"`
	Object runtime.Object  `json:"object"`
}

// watch streams events as newline-separated JSON objects, flushed as
// soon as no further event is ready, until timeoutSeconds, the client leaves, or an ERROR event. With
// the Table Accept each object is a one-row Table; only the first carries
// the column definitions, as kube-apiserver.
func (h *resourceHandler) watch() {
	var opts metav1.ListOptions
	if !h.params(&opts) {
		return
	}
	ctx, cancel := watchContext(h.r.Context(), &opts)
	defer cancel()
	events, err := h.st.Watch(ctx, h.info.Namespace, &opts)
	if err != nil {
		h.fail(err)
		return
	}
	a := negotiate(h.r.Header.Get("Accept"))
	topts := tableOptions(h.r.URL.Query())
	h.w.Header().Set("Content-Type", "application/json")
	h.w.WriteHeader(http.StatusOK)
	flusher, _ := h.w.(http.Flusher)
	if flusher != nil {
		flusher.Flush()
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for ev := range events {
		if !h.writeEvent(&buf, enc, ev, a, &topts) {
			return
		}
		// Flush when no other event is ready: a burst goes out in a few
		// writes instead of one TLS record per event.
		if !h.drain(events, &buf, enc, a, &topts) {
			return
		}
		if flusher != nil {
			flusher.Flush()
		}
	}
}

// drain writes the events that are ready without waiting; false when the
// stream ends.
func (h *resourceHandler) drain(events <-chan watch.Event, buf *bytes.Buffer, enc *json.Encoder, a accepted, topts *metav1.TableOptions) bool {
	for {
		select {
		case ev, ok := <-events:
			if !ok || !h.writeEvent(buf, enc, ev, a, topts) {
				return false
			}
		default:
			return true
		}
	}
}

// writeEvent writes one event in the negotiated form; false when the
// client is gone.
func (h *resourceHandler) writeEvent(buf *bytes.Buffer, enc *json.Encoder, ev watch.Event, a accepted, topts *metav1.TableOptions) bool {
	obj := ev.Object
	switch {
	case ev.Type == watch.Error:
	case a.out == outTable:
		rows := []runtime.Object{obj}
		if ev.Type == watch.Bookmark {
			rows = nil // a bookmark carries a revision, no row
		}
		t := h.st.Table(rows, topts.IncludeObject, topts.NoHeaders)
		t.APIVersion = "meta.k8s.io/" + a.version
		t.ResourceVersion = accessorRV(obj)
		topts.NoHeaders = topts.NoHeaders || rows != nil
		obj = t
	case a.out == outPartial:
		obj = partial(obj, a.version)
	}
	if a.out == outObject && ev.Type != watch.Error {
		line, err := h.s.encoded.line(ev.Type, obj)
		if err != nil {
			return false
		}
		_, err = h.w.Write(line)
		return err == nil
	}
	buf.Reset()
	if err := enc.Encode(watchEvent{Type: ev.Type, Object: obj}); err != nil {
		return false
	}
	_, err := h.w.Write(buf.Bytes())
	return err == nil
}

func accessorRV(obj runtime.Object) string {
	if m, ok := obj.(metav1.Object); ok {
		return m.GetResourceVersion()
	}
	return ""
}

// jsonUnmarshalStrict decodes data into v, refusing unknown fields.
func jsonUnmarshalStrict(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// requestTimeout is how long a watch without timeoutSeconds lasts, as
// kube-apiserver's default minimum request timeout.
const requestTimeout = 30 * time.Minute

// watchContext bounds a watch by timeoutSeconds (or the default).
func watchContext(ctx context.Context, opts *metav1.ListOptions) (context.Context, context.CancelFunc) {
	d := requestTimeout
	if opts.TimeoutSeconds != nil && *opts.TimeoutSeconds > 0 {
		d = time.Duration(*opts.TimeoutSeconds) * time.Second
	}
	return context.WithTimeout(ctx, d)
}
