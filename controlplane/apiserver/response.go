package apiserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/skiffrt/skiff/controlplane/registry"
)

// writeJSON answers with obj as JSON.
func writeJSON(w http.ResponseWriter, code int, obj any) {
	writeJSONAs(w, code, "application/json", obj)
}

// writeJSONAs answers with obj as JSON under content type ctype.
func writeJSONAs(w http.ResponseWriter, code int, ctype string, obj any) {
	data, err := json.Marshal(obj)
	if err != nil {
		writeError(w, nil, apierrors.NewInternalError(fmt.Errorf("encoding the response: %w", err)))
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(code)
	_, _ = w.Write(data)
}

// writeError answers with err as a meta.k8s.io/v1 Status. Every error
// leaves the server through here: errors that are not API statuses are
// logged and answered as 500 InternalError, never as bare text.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	st := toStatus(err)
	if st.Code >= 500 && r != nil {
		slog.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	writeJSON(w, int(st.Code), st)
}

// toStatus turns any error into a Status.
func toStatus(err error) *metav1.Status {
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		status = apierrors.NewInternalError(err)
	}
	st := status.Status()
	st.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Status"}
	if st.Code == 0 {
		st.Code = http.StatusInternalServerError
	}
	return &st
}

// successStatus is the answer to a delete of an object that is gone.
func successStatus(kind, group, name string, obj runtime.Object) *metav1.Status {
	st := &metav1.Status{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Status"},
		Status:   metav1.StatusSuccess,
		Details:  &metav1.StatusDetails{Name: name, Group: group, Kind: kind},
	}
	if m, ok := obj.(metav1.Object); ok {
		st.Details.UID = m.GetUID()
	}
	return st
}

// warningWriter sends the warnings collected during the request as
// Warning headers just before the response starts.
type warningWriter struct {
	http.ResponseWriter
	warnings *registry.Warnings
	wrote    bool
}

func (w *warningWriter) WriteHeader(code int) {
	if !w.wrote {
		for _, msg := range w.warnings.List() {
			w.Header().Add("Warning", fmt.Sprintf("299 - %q", msg))
		}
		w.wrote = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *warningWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
