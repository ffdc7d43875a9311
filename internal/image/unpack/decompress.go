package unpack

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// compression is the encoding of a layer blob.
type compression int

const (
	compUnknown compression = iota
	compNone
	compGzip
	compZstd
	compBzip2
	compXz
)

func (c compression) String() string {
	switch c {
	case compNone:
		return "none"
	case compGzip:
		return "gzip"
	case compZstd:
		return "zstd"
	case compBzip2:
		return "bzip2"
	case compXz:
		return "xz"
	}
	return "unknown"
}

// readBufSize is the read-ahead on the compressed stream: big enough that a
// network or file source is read in few syscalls.
const readBufSize = 64 << 10

// Decompress returns the uncompressed stream of a layer blob with the given
// OCI or Docker media type: gzip, zstd or an uncompressed tar. For an empty
// or unknown media type it sniffs the magic bytes.
//
// The result must be closed: for gzip, Close stops the goroutine that
// decompresses ahead of the reader (waiting for its Read of r in flight).
// Closing it does not close r. Read errors of a corrupt stream are
// classified by Apply.
//
// Errors are of class errdefs.ErrInvalidArgument when the data does not
// match the media type, errdefs.ErrNotImplemented for compressions that OCI
// does not define (bzip2, xz, encrypted layers).
func Decompress(r io.Reader, mediaType string) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(r, readBufSize)
	comp, err := compressionOf(mediaType)
	if err != nil {
		return nil, err
	}
	label := "media type " + strconv.Quote(mediaType) // for messages
	if comp == compUnknown {
		comp = sniff(br)
		label += ", sniffed " + comp.String()
	}
	switch comp {
	case compNone:
		return io.NopCloser(br), nil
	case compGzip:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%w: layer (%s): gzip: %w", errdefs.ErrInvalidArgument, label, err)
		}
		return newReadAhead(zr), nil
	case compZstd:
		// The zstd decoder decodes blocks ahead in its own goroutines.
		zr, err := zstd.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%w: layer (%s): zstd: %w", errdefs.ErrInvalidArgument, label, err)
		}
		return zr.IOReadCloser(), nil
	}
	return nil, fmt.Errorf("%w: layer (%s): %s compression is not supported", errdefs.ErrNotImplemented, label, comp)
}

// compressionOf maps a layer media type to its compression; compUnknown
// means "sniff".
func compressionOf(mediaType string) (compression, error) {
	mt, _, _ := strings.Cut(mediaType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	switch {
	case strings.Contains(mt, "+encrypted"):
		return compUnknown, fmt.Errorf("%w: layer %q: encrypted layers are not supported", errdefs.ErrNotImplemented, mediaType)
	case strings.HasSuffix(mt, "+gzip"), strings.HasSuffix(mt, ".tar.gzip"):
		// application/vnd.oci.image.layer[.nondistributable].v1.tar+gzip,
		// application/vnd.docker.image.rootfs[.foreign].diff.tar.gzip
		return compGzip, nil
	case strings.HasSuffix(mt, "+zstd"), strings.HasSuffix(mt, ".tar.zstd"):
		return compZstd, nil
	case strings.HasSuffix(mt, ".tar"), mt == "application/x-tar":
		// application/vnd.oci.image.layer.v1.tar,
		// application/vnd.docker.image.rootfs.diff.tar
		return compNone, nil
	}
	return compUnknown, nil
}

var (
	magicGzip = []byte{0x1f, 0x8b, 0x08} // ID1 ID2 CM=deflate
	magicZstd = []byte{0x28, 0xb5, 0x2f, 0xfd}
	magicXz   = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
)

// sniffLen is how many bytes sniff needs: "BZh" + level + block magic.
const sniffLen = 10

// sniff looks at the first bytes of br without consuming them. Anything
// that is not a known compression is taken as a plain tar (a v7 tar has no
// magic of its own); the tar reader rejects what is not.
func sniff(br *bufio.Reader) compression {
	head, _ := br.Peek(sniffLen) // short or empty streams are plain
	if isBzip2(head) {
		return compBzip2
	}
	for _, m := range []struct {
		magic []byte
		comp  compression
	}{
		{magicGzip, compGzip},
		{magicZstd, compZstd},
		{magicXz, compXz},
	} {
		if bytes.HasPrefix(head, m.magic) {
			return m.comp
		}
	}
	return compNone
}

// isBzip2 matches "BZh", a block size digit and the block magic 0x314159265359.
func isBzip2(head []byte) bool {
	return len(head) >= sniffLen && string(head[:3]) == "BZh" &&
		head[3] >= '1' && head[3] <= '9' && string(head[4:10]) == "1AY&SY"
}
