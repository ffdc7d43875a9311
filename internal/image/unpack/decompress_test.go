package unpack

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/skiffrt/skiff/internal/errdefs"
)

const (
	mtOCITar       = "application/vnd.oci.image.layer.v1.tar"
	mtOCIGzip      = "application/vnd.oci.image.layer.v1.tar+gzip"
	mtOCIZstd      = "application/vnd.oci.image.layer.v1.tar+zstd"
	mtOCINondGzip  = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
	mtDockerGzip   = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	mtDockerForeig = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
	mtDockerTar    = "application/vnd.docker.image.rootfs.diff.tar"
)

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zstded(t testing.TB, b []byte) []byte {
	t.Helper()
	zw, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer zw.Close()
	return zw.EncodeAll(b, nil)
}

func TestDecompress(t *testing.T) {
	plain := mkTar(t, reg("etc/hosts", 0o644, strings.Repeat("127.0.0.1 localhost\n", 100)))
	gz, zs := gzipped(t, plain), zstded(t, plain)
	tests := []struct {
		name      string
		mediaType string
		data      []byte
		class     error // nil: decompresses to plain
	}{
		{name: "oci tar", mediaType: mtOCITar, data: plain},
		{name: "oci gzip", mediaType: mtOCIGzip, data: gz},
		{name: "oci zstd", mediaType: mtOCIZstd, data: zs},
		{name: "oci nondistributable gzip", mediaType: mtOCINondGzip, data: gz},
		{name: "docker gzip", mediaType: mtDockerGzip, data: gz},
		{name: "docker foreign gzip", mediaType: mtDockerForeig, data: gz},
		{name: "docker tar", mediaType: mtDockerTar, data: plain},
		{name: "media type parameters", mediaType: mtOCIGzip + "; foo=bar", data: gz},
		{name: "sniff gzip", data: gz},
		{name: "sniff zstd", data: zs},
		{name: "sniff plain", data: plain},
		{name: "sniff empty", data: nil},
		{name: "unknown media type sniffs", mediaType: "application/octet-stream", data: zs},
		{name: "gzip type, plain data", mediaType: mtOCIGzip, data: plain, class: errdefs.ErrInvalidArgument},
		{name: "corrupt gzip", mediaType: mtOCIGzip, data: gz[:len(gz)/2], class: errdefs.ErrInvalidArgument},
		{name: "corrupt zstd", mediaType: mtOCIZstd, data: zs[:len(zs)/2], class: errdefs.ErrInvalidArgument},
		{name: "encrypted", mediaType: mtOCIGzip + "+encrypted", data: gz, class: errdefs.ErrNotImplemented},
		{name: "sniff xz", data: []byte("\xfd7zXZ\x00rest"), class: errdefs.ErrNotImplemented},
		{name: "sniff bzip2", data: []byte("BZh91AY&SYrest"), class: errdefs.ErrNotImplemented},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc, err := Decompress(bytes.NewReader(tc.data), tc.mediaType)
			var got []byte
			if err == nil {
				got, err = io.ReadAll(rc)
				if cerr := rc.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					err = readError(err)
				}
			}
			if tc.class != nil {
				if !errors.Is(err, tc.class) {
					t.Fatalf("err = %v, want class %v", err, tc.class)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := plain
			if tc.data == nil {
				want = nil
			}
			if !bytes.Equal(got, want) {
				t.Errorf("got %d bytes, want %d", len(got), len(want))
			}
		})
	}
}

// A v7 tar whose first name starts like a bzip2 header is still a tar.
func TestSniffBzip2NeedsBlockMagic(t *testing.T) {
	plain := mkTar(t, reg("BZh9-file", 0o644, "x"))
	rc, err := Decompress(bytes.NewReader(plain), "")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(rc); !bytes.Equal(got, plain) {
		t.Error("tar named BZh… was not passed through")
	}
}
