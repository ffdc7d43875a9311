package openapi

import (
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	openapiv2 "github.com/google/gnostic-models/openapiv2"
	openapiv3 "github.com/google/gnostic-models/openapiv3"
	"google.golang.org/protobuf/proto"
)

// document is one generated document: its JSON, kept gzipped, and its
// protobuf form, made on first demand.
type document struct {
	etag      string // upper-case hex SHA-512 of the JSON, as kube-apiserver's
	modified  time.Time
	json      compressed
	protoForm *protoForm                 // nil: JSON only
	proto     func() (compressed, error) // makes and keeps the protobuf form
}

// protoForm is the protobuf form of a kind of document, in the messages of
// github.com/google/gnostic-models.
type protoForm struct {
	mediaType string // what clients ask for
	answer    string // the Content-Type of the answer, as kube-apiserver's
	convert   func(json []byte) (proto.Message, error)
}

var (
	protoV2 = &protoForm{
		mediaType: "application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
		answer:    "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
		convert:   func(j []byte) (proto.Message, error) { return openapiv2.ParseDocument(j) },
	}
	protoV3 = &protoForm{
		mediaType: "application/com.github.proto-openapi.spec.v3@v1.0+protobuf",
		answer:    "application/com.github.proto-openapi.spec.v3.v1.0+protobuf",
		convert:   func(j []byte) (proto.Message, error) { return openapiv3.ParseDocument(j) },
	}
)

// compressed is a body kept gzipped; size is its length uncompressed.
type compressed struct {
	gz   []byte
	size int
}

// newDocument marshals v; form, if not nil, is its protobuf form.
func newDocument(v any, form *protoForm) (*document, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("marshal: %w", err)
	}
	c, err := compress(j)
	if err != nil {
		return nil, err
	}
	d := &document{etag: fmt.Sprintf("%X", sha512.Sum512(j)), modified: time.Now(), json: c, protoForm: form}
	if form != nil {
		d.proto = sync.OnceValues(func() (compressed, error) {
			defer returnMemory()
			return protoOf(d.json, form)
		})
	}
	return d, nil
}

func protoOf(c compressed, form *protoForm) (compressed, error) {
	j, err := c.bytes()
	if err != nil {
		return compressed{}, err
	}
	m, err := form.convert(j)
	if err != nil {
		return compressed{}, fmt.Errorf("convert to protobuf: %w", err)
	}
	b, err := proto.Marshal(m)
	if err != nil {
		return compressed{}, fmt.Errorf("marshal protobuf: %w", err)
	}
	return compress(b)
}

func compress(b []byte) (compressed, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return compressed{}, err
	}
	if _, err := zw.Write(b); err != nil {
		return compressed{}, fmt.Errorf("gzip: %w", err)
	}
	if err := zw.Close(); err != nil {
		return compressed{}, fmt.Errorf("gzip: %w", err)
	}
	return compressed{gz: bytes.Clone(buf.Bytes()), size: len(b)}, nil
}

// writeTo writes the body uncompressed.
func (c compressed) writeTo(w io.Writer) error {
	zr, err := gzip.NewReader(bytes.NewReader(c.gz))
	if err != nil {
		return err
	}
	_, err = io.Copy(w, zr)
	return err
}

func (c compressed) bytes() ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(c.size)
	err := c.writeTo(&buf)
	return buf.Bytes(), err
}
