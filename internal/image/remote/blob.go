package remote

import (
	"context"
	_ "crypto/sha256" // digest algorithms go-digest verifies with
	_ "crypto/sha512"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/opencontainers/go-digest"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// OpenLayer streams l's compressed blob from the endpoint img was found
// at, with the credentials of the Resolve that returned img. The reader
// checks size and digest: its final Read returns an error matching
// ErrDigestMismatch (class errdefs.ErrInvalidArgument) instead of io.EOF
// when the content is wrong, and an error matching ErrNoProgress when
// the registry stalls. Other read errors have class ErrUnavailable or the
// context's. OpenLayer may be called concurrently; the caller closes the
// reader.
func (r *Resolver) OpenLayer(ctx context.Context, img *Image, l Layer) (io.ReadCloser, error) {
	if img == nil || img.src == nil {
		return nil, fmt.Errorf("open layer %s: image was not returned by Resolve: %w", l.Digest, errdefs.ErrInvalidArgument)
	}
	if err := l.Digest.Validate(); err != nil {
		return nil, fmt.Errorf("open layer %q: %w: %w", l.Digest, err, errdefs.ErrInvalidArgument)
	}
	if l.Size < 0 {
		return nil, fmt.Errorf("open layer %s: negative size %d: %w", l.Digest, l.Size, errdefs.ErrInvalidArgument)
	}
	src := img.src
	resp, err := src.get(ctx, "blobs", l.Digest.String(), "", l.Digest.String())
	if err != nil {
		return nil, fmt.Errorf("layer %s from %s: %w", l.Digest, src.endpoint, err)
	}
	if resp.ContentLength >= 0 && resp.ContentLength != l.Size {
		resp.Body.Close()
		return nil, fmt.Errorf("layer %s from %s: Content-Length %d, want %d: %w",
			l.Digest, src.endpoint, resp.ContentLength, l.Size, ErrDigestMismatch)
	}
	return &verifier{body: resp.Body, hash: l.Digest.Algorithm().Hash(), want: l.Digest, size: l.Size, from: src.endpoint}, nil
}

// verifier hashes a blob as it is read and turns the final io.EOF into an
// error when size or digest are wrong. It copies nothing.
type verifier struct {
	body io.ReadCloser
	hash hash.Hash
	want digest.Digest
	size int64
	from string

	n   int64
	err error // sticky: io.EOF once verified, or the failure
}

func (v *verifier) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.body.Read(p)
	v.n += int64(n)
	if v.n > v.size {
		v.err = fmt.Errorf("layer %s from %s: more than %d bytes: %w", v.want, v.from, v.size, ErrDigestMismatch)
		return 0, v.err
	}
	v.hash.Write(p[:n])
	switch {
	case err == io.EOF:
		v.err = v.verify()
	case errors.As(err, new(*StallError)):
		v.err = err // names the layer and endpoint already
	case err != nil:
		v.err = fmt.Errorf("layer %s from %s: %w", v.want, v.from, withClass(err, errdefs.ErrUnavailable))
	}
	return n, v.err
}

func (v *verifier) verify() error {
	if v.n != v.size {
		return fmt.Errorf("layer %s from %s: got %d bytes, want %d: %w", v.want, v.from, v.n, v.size, ErrDigestMismatch)
	}
	if got := digest.NewDigest(v.want.Algorithm(), v.hash); got != v.want {
		return fmt.Errorf("layer %s from %s: got content with digest %s: %w", v.want, v.from, got, ErrDigestMismatch)
	}
	return io.EOF
}

// Close closes the body; it does not verify.
func (v *verifier) Close() error { return v.body.Close() }
