package registry

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
)

// Decoder turns request bodies (JSON) into typed objects of a scheme,
// honouring the fieldValidation parameter: Strict makes unknown and
// duplicate fields a 400, Warn turns them into warnings, Ignore drops them.
type Decoder struct {
	strict runtime.Decoder
}

// NewDecoder returns a Decoder for the types of scheme.
func NewDecoder(scheme *runtime.Scheme) *Decoder {
	return &Decoder{strict: json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme,
		json.SerializerOptions{Strict: true})}
}

// Decode decodes data, which must be of kind gvk (data without apiVersion
// and kind is taken as gvk), into a new object.
func (d *Decoder) Decode(ctx context.Context, data []byte, gvk schema.GroupVersionKind, validation string) (runtime.Object, error) {
	obj, actual, err := d.strict.Decode(data, &gvk, nil)
	if err != nil && !runtime.IsStrictDecodingError(err) {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: %v",
			gvk.Kind, gvk.Version, gvk.Kind, err))
	}
	if actual.GroupVersion() != gvk.GroupVersion() {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("the API version in the data (%s) does not match the expected API version (%s)",
			actual.GroupVersion(), gvk.GroupVersion()))
	}
	if actual.Kind != gvk.Kind {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("the kind in the data (%s) does not match the expected kind (%s)", actual.Kind, gvk.Kind))
	}
	if err != nil {
		if ferr := fieldErrors(ctx, err, gvk, validation); ferr != nil {
			return nil, ferr
		}
	}
	return obj, nil
}

// fieldErrors applies the fieldValidation mode to a strict decoding error.
func fieldErrors(ctx context.Context, err error, gvk schema.GroupVersionKind, validation string) error {
	switch validation {
	case metav1.FieldValidationStrict:
		return apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: %v",
			gvk.Kind, gvk.Version, gvk.Kind, err))
	case metav1.FieldValidationIgnore:
		return nil
	}
	serr, ok := runtime.AsStrictDecodingError(err)
	if !ok {
		AddWarning(ctx, err.Error())
		return nil
	}
	for _, e := range serr.Errors() {
		AddWarning(ctx, strings.TrimPrefix(e.Error(), "json: "))
	}
	return nil
}

type warningsKey struct{}

// Warnings collects the warnings of one request; the HTTP layer sends
// them as Warning headers.
type Warnings struct{ list []string }

// List returns the warnings added so far.
func (w *Warnings) List() []string { return w.list }

// WithWarnings returns ctx carrying a new Warnings.
func WithWarnings(ctx context.Context) (context.Context, *Warnings) {
	w := &Warnings{}
	return context.WithValue(ctx, warningsKey{}, w), w
}

// AddWarning records a warning for the request of ctx, if it collects any.
// A request is served by one goroutine at a time, so no lock is needed.
func AddWarning(ctx context.Context, msg string) {
	if w, ok := ctx.Value(warningsKey{}).(*Warnings); ok {
		w.list = append(w.list, msg)
	}
}
