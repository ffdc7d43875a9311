package apiserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// MaxBodyBytes is the largest request body accepted: 3 MiB, as
// kube-apiserver (and about etcd's own request limit).
const MaxBodyBytes = 3 << 20

// readBody reads a request body of at most MaxBodyBytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, apierrors.NewRequestEntityTooLargeError(fmt.Sprintf("limit is %d", MaxBodyBytes))
	}
	if err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("reading the request body: %v", err))
	}
	return data, nil
}

// readJSONBody reads a create, update or delete body as JSON. YAML bodies
// are converted (duplicate keys then fail in strict mode, as upstream);
// protobuf bodies, which client-go's typed clients send for built-in
// kinds, are decoded with the scheme and re-encoded.
func (s *Server) readJSONBody(w http.ResponseWriter, r *http.Request, strict bool) ([]byte, error) {
	data, err := readBody(w, r)
	if err != nil {
		return nil, err
	}
	typ, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch typ {
	case "", "application/json", "*/*":
		return data, nil
	case "application/vnd.kubernetes.protobuf":
		obj, gvk, err := s.protobuf.Decode(data, nil, nil)
		if err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("error decoding protobuf: %v", err))
		}
		obj.GetObjectKind().SetGroupVersionKind(*gvk)
		return json.Marshal(obj)
	case "application/yaml", "application/x-yaml", "text/yaml":
		conv := yaml.YAMLToJSON
		if strict {
			conv = yaml.YAMLToJSONStrict
		}
		out, err := conv(data)
		if err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("error converting YAML to JSON: %v", err))
		}
		return out, nil
	}
	return nil, unsupportedMediaType(typ)
}

// unsupportedMediaType is the 415 for a body type the server cannot read.
func unsupportedMediaType(typ string) error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: http.StatusUnsupportedMediaType,
		Reason:  metav1.StatusReasonUnsupportedMediaType,
		Message: fmt.Sprintf("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got %q)", typ),
	}}
}
