package checkpoint

import (
	"archive/tar"
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Write writes c's archive at path: to a temporary file beside it, renamed
// over path once complete, so that path never holds half an archive. It
// stages the rootfs diff in c.WorkDir.
func Write(ctx context.Context, path string, c *Container) (err error) {
	diffPath := filepath.Join(c.WorkDir, RootfsDiff)
	deleted, err := writeDiffFile(ctx, diffPath, c.UpperDir)
	if err != nil {
		return err
	}
	defer os.Remove(diffPath)

	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("checkpoint archive: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	a := &archiveWriter{tw: tar.NewWriter(bw), now: time.Now()}
	if err := a.contents(ctx, c, diffPath, deleted); err != nil {
		return fmt.Errorf("checkpoint archive: %w", err)
	}
	if err := a.tw.Close(); err != nil {
		return fmt.Errorf("checkpoint archive: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("checkpoint archive: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("checkpoint archive: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("checkpoint archive: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("checkpoint archive: %w", err)
	}
	return nil
}

// writeDiffFile writes the rootfs diff of upper at path and returns the
// paths it whites out.
func writeDiffFile(ctx context.Context, path, upper string) ([]string, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("rootfs diff: %w", err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	deleted, err := WriteDiff(ctx, bw, upper)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("rootfs diff of %s: %w", upper, err)
	}
	return deleted, nil
}

// archiveWriter writes the archive's entries, all owned by root.
type archiveWriter struct {
	tw  *tar.Writer
	now time.Time
}

// contents writes every entry of c's archive.
func (a *archiveWriter) contents(ctx context.Context, c *Container, diffPath string, deleted []string) error {
	if deleted == nil {
		deleted = []string{}
	}
	for _, j := range []struct {
		name string
		v    any
	}{{ConfigDump, c.Config}, {SpecDump, c.Spec}, {StatusDump, c.Status}, {DeletedFiles, deleted}} {
		if err := a.json(j.name, j.v); err != nil {
			return err
		}
	}
	if err := a.dir(ctx, ImagesDir, c.ImagesDir); err != nil {
		return err
	}
	if err := a.file(RootfsDiff, diffPath); err != nil {
		return err
	}
	for _, o := range []struct{ name, path string }{
		{StatsDump, filepath.Join(c.WorkDir, StatsDump)},
		{DumpLog, filepath.Join(c.WorkDir, DumpLog)},
		{ContainerLog, c.LogPath},
	} {
		if o.path == "" {
			continue
		}
		if err := a.file(o.name, o.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

func (a *archiveWriter) json(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := a.tw.WriteHeader(a.header(name, tar.TypeReg, int64(len(b)))); err != nil {
		return err
	}
	_, err = a.tw.Write(b)
	return err
}

// file adds the regular file at path as name; a missing file is
// fs.ErrNotExist and adds nothing.
func (a *archiveWriter) file(name, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	if err := a.tw.WriteHeader(a.header(name, tar.TypeReg, fi.Size())); err != nil {
		return err
	}
	// A file that grows meanwhile (the log) is cut at the size announced.
	if _, err := io.CopyN(a.tw, f, fi.Size()); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// dir adds the directory src, its regular files and subdirectories, as
// name.
func (a *archiveWriter) dir(ctx context.Context, name, src string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		entry := filepath.ToSlash(filepath.Join(name, rel))
		switch {
		case d.IsDir():
			return a.tw.WriteHeader(a.header(entry+"/", tar.TypeDir, 0))
		case d.Type().IsRegular():
			return a.file(entry, path)
		}
		return fmt.Errorf("%s: not a regular file or directory", path)
	})
}

func (a *archiveWriter) header(name string, typ byte, size int64) *tar.Header {
	mode := int64(0o600)
	if typ == tar.TypeDir {
		mode = 0o700
	}
	return &tar.Header{Name: name, Typeflag: typ, Size: size, Mode: mode, ModTime: a.now, Format: tar.FormatPAX}
}
