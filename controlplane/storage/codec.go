package storage

import (
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
)

// Codec turns objects into the bytes kept in etcd and back.
type Codec struct {
	scheme  *runtime.Scheme
	decoder runtime.Decoder
}

// NewCodec returns a JSON codec for the types registered in scheme. Stored
// values carry apiVersion and kind, so Decode needs no hint.
func NewCodec(scheme *runtime.Scheme) *Codec {
	return &Codec{scheme: scheme, decoder: serializer.NewCodecFactory(scheme).UniversalDeserializer()}
}

// Encode returns obj's JSON with its apiVersion and kind and without its
// resourceVersion, which etcd keeps as the key's revision.
func (c *Codec) Encode(obj runtime.Object) ([]byte, error) {
	gvks, _, err := c.scheme.ObjectKinds(obj)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	rv := m.GetResourceVersion()
	m.SetResourceVersion("")
	gvk := obj.GetObjectKind().GroupVersionKind()
	obj.GetObjectKind().SetGroupVersionKind(gvks[0])
	data, err := json.Marshal(obj)
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	m.SetResourceVersion(rv)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return data, nil
}

// Decode returns the typed object stored in data, with its resourceVersion
// set to rev.
func (c *Codec) Decode(data []byte, rev int64) (runtime.Object, error) {
	obj, _, err := c.decoder.Decode(data, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if err := setRevision(obj, rev); err != nil {
		return nil, err
	}
	return obj, nil
}
