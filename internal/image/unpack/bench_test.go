package unpack

import (
	"archive/tar"
	"bytes"
	stdgzip "compress/gzip"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// benchLayer is a generated layer: 2000 files of 25 KiB on average (50 MB)
// in 40 directories, with contents that compress about like binaries and
// text do (gzip -6: ~2.5x).
var benchLayer = sync.OnceValue(func() []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	words := make([][]byte, 256)
	for i := range words {
		w := make([]byte, 3+rng.IntN(8))
		for j := range w {
			w[j] = byte('a' + rng.IntN(26))
		}
		words[i] = append(w, ' ')
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	body := make([]byte, 0, 64<<10)
	for d := range 40 {
		dir := fmt.Sprintf("usr/lib/pkg%02d/", d)
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755, ModTime: epoch})
		for f := range 50 {
			body = body[:0]
			size := 1 + rng.IntN(50<<10)
			for len(body) < size {
				n := 64 + rng.IntN(960)
				if rng.IntN(10) < 4 {
					for range n {
						body = append(body, byte(rng.Uint32()))
					}
				} else {
					for k := 0; k < n; {
						w := words[rng.IntN(len(words))]
						body = append(body, w...)
						k += len(w)
					}
				}
			}
			body = body[:size]
			tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: fmt.Sprintf("%sfile%03d.so", dir, f),
				Mode: 0o644, Size: int64(size), ModTime: epoch})
			tw.Write(body)
		}
	}
	tw.Close()
	return buf.Bytes()
})

var benchLayerGzip = sync.OnceValue(func() []byte { return gzipped(&testing.B{}, benchLayer()) })
var benchLayerZstd = sync.OnceValue(func() []byte { return zstded(&testing.B{}, benchLayer()) })

// benchFS are the file systems benchmarks unpack to: the test temp dir
// (ext4 here, as the image store would be) and tmpfs, which shows the cost
// of Apply itself without the disk file system's.
func benchFS(b *testing.B, run func(b *testing.B, tmp string)) {
	b.Run("disk", func(b *testing.B) { run(b, b.TempDir()) })
	b.Run("tmpfs", func(b *testing.B) {
		var st unix.Statfs_t
		if err := unix.Statfs("/dev/shm", &st); err != nil || st.Type != unix.TMPFS_MAGIC {
			b.Skip("no tmpfs at /dev/shm")
		}
		tmp, err := os.MkdirTemp("/dev/shm", "unpack-bench-")
		if err != nil {
			b.Skip(err)
		}
		b.Cleanup(func() { os.RemoveAll(tmp) })
		run(b, tmp)
	})
}

// benchApply runs Apply on the blob newReader returns, into a fresh
// directory under tmp each time. Flushing dirty pages (so that one
// iteration's writeback does not land in the next) is not timed. The
// directories are removed only at the end: on ext4 without a journal,
// inodes freed within the last minutes make allocating new ones slower.
func benchApply(b *testing.B, tmp string, size int, newReader func() io.Reader) {
	requireRoot(b)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		b.StopTimer()
		d := filepath.Join(tmp, fmt.Sprint(i))
		i++
		if err := os.Mkdir(d, 0o755); err != nil {
			b.Fatal(err)
		}
		unix.Sync()
		r := newReader()
		b.StartTimer()
		if _, err := Apply(context.Background(), d, r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(2000*b.N)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkApply measures unpacking alone: an uncompressed tar from memory
// to ext4. MB/s is of tar bytes.
func BenchmarkApply(b *testing.B) {
	layer := benchLayer()
	benchFS(b, func(b *testing.B, tmp string) {
		benchApply(b, tmp, len(layer), func() io.Reader { return bytes.NewReader(layer) })
	})
}

// BenchmarkApplyGzip is a pull's unpack step: gunzip and apply. MB/s is
// of uncompressed bytes.
func BenchmarkApplyGzip(b *testing.B) {
	layer, gz := benchLayer(), benchLayerGzip()
	benchFS(b, func(b *testing.B, tmp string) {
		benchApply(b, tmp, len(layer), func() io.Reader {
			rc, err := Decompress(bytes.NewReader(gz), mtOCIGzip)
			if err != nil {
				b.Fatal(err)
			}
			return rc
		})
	})
}

// BenchmarkApplyZstd is BenchmarkApplyGzip with zstd.
func BenchmarkApplyZstd(b *testing.B) {
	layer, zs := benchLayer(), benchLayerZstd()
	benchFS(b, func(b *testing.B, tmp string) {
		benchApply(b, tmp, len(layer), func() io.Reader {
			rc, err := Decompress(bytes.NewReader(zs), mtOCIZstd)
			if err != nil {
				b.Fatal(err)
			}
			return rc
		})
	})
}

// BenchmarkDecompress compares decompressors on the same layer. MB/s is of
// uncompressed bytes.
func BenchmarkDecompress(b *testing.B) {
	layer, gz, zs := benchLayer(), benchLayerGzip(), benchLayerZstd()
	b.Logf("layer %d MB: gzip %.2fx, zstd %.2fx", len(layer)>>20,
		float64(len(layer))/float64(len(gz)), float64(len(layer))/float64(len(zs)))
	tests := []struct {
		name string
		open func() (io.ReadCloser, error)
	}{
		{name: "gzip/klauspost", open: func() (io.ReadCloser, error) { return Decompress(bytes.NewReader(gz), mtOCIGzip) }},
		{name: "gzip/stdlib", open: func() (io.ReadCloser, error) { return stdgzip.NewReader(bytes.NewReader(gz)) }},
		{name: "zstd/klauspost", open: func() (io.ReadCloser, error) { return Decompress(bytes.NewReader(zs), mtOCIZstd) }},
	}
	for _, tc := range tests {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(layer)))
			b.ReportAllocs()
			for b.Loop() {
				rc, err := tc.open()
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, rc); err != nil {
					b.Fatal(err)
				}
				rc.Close()
			}
		})
	}
}
