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
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/image/unpack"
)

// topFiles are the regular files Unpack takes from the top of an archive.
var topFiles = map[string]bool{
	ConfigDump: true, SpecDump: true, StatusDump: true, RootfsDiff: true,
	DeletedFiles: true, StatsDump: true, DumpLog: true, ContainerLog: true,
}

// ImagesDir returns the directory of the CRIU images.
func (a *Archive) ImagesDir() string { return filepath.Join(a.Dir, ImagesDir) }

// Unpack extracts the archive at path into dir, which must not exist,
// and reads its config.dump and spec.dump, which it must have. A file that
// is no archive, or lacks them, is errdefs.ErrInvalidArgument.
func Unpack(ctx context.Context, path, dir string) (*Archive, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: checkpoint archive %s: %v", errdefs.ErrNotFound, path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint archive: %w", err)
	}
	defer f.Close()
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, fmt.Errorf("checkpoint archive: %w", err)
	}
	if err := extract(ctx, bufio.NewReaderSize(f, 1<<20), dir); err != nil {
		return nil, fmt.Errorf("checkpoint archive %s: %w", path, err)
	}
	a := &Archive{Dir: dir}
	if err := readJSON(dir, ConfigDump, &a.Config); err != nil {
		return nil, fmt.Errorf("checkpoint archive %s: %w", path, err)
	}
	if err := readJSON(dir, SpecDump, &a.Spec); err != nil {
		return nil, fmt.Errorf("checkpoint archive %s: %w", path, err)
	}
	if err := readJSON(dir, StatusDump, &a.Status); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("checkpoint archive %s: %w", path, err)
	}
	if fi, err := os.Stat(a.ImagesDir()); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%w: checkpoint archive %s has no %s/ directory", errdefs.ErrInvalidArgument, path, ImagesDir)
	}
	return a, nil
}

// extract writes the archive's known entries into dir.
func extract(ctx context.Context, r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: not a tar archive: %v", errdefs.ErrInvalidArgument, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		name, ok := archiveName(hdr)
		if !ok {
			continue
		}
		if err := extractEntry(dir, name, hdr, archiveReader{tr}); err != nil {
			return err
		}
	}
}

// archiveReader reads an entry's content: a failure there is the
// archive's (cut short, corrupt), errdefs.ErrInvalidArgument.
type archiveReader struct{ r io.Reader }

func (a archiveReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%w: %v", errdefs.ErrInvalidArgument, err)
	}
	return n, err
}

// archiveName returns the name of a known entry, cleaned: a top-level
// file of topFiles, the images directory, or a file or directory in it.
func archiveName(hdr *tar.Header) (string, bool) {
	name := strings.TrimPrefix(path.Clean("/"+hdr.Name), "/")
	if hdr.Typeflag != tar.TypeReg && hdr.Typeflag != tar.TypeDir {
		return "", false
	}
	if hdr.Typeflag == tar.TypeReg && topFiles[name] {
		return name, true
	}
	if name == ImagesDir && hdr.Typeflag == tar.TypeDir {
		return name, true
	}
	return name, strings.HasPrefix(name, ImagesDir+"/")
}

// extractEntry creates name in dir; parents come from earlier entries or
// are made here, and nothing existing is followed or overwritten.
func extractEntry(dir, name string, hdr *tar.Header, r io.Reader) error {
	full := filepath.Join(dir, filepath.FromSlash(name))
	if err := mkdirNoFollow(dir, path.Dir(name)); err != nil {
		return err
	}
	if hdr.Typeflag == tar.TypeDir {
		return mkdirNoFollow(dir, name)
	}
	f, err := os.OpenFile(full, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w: entry %q appears twice", errdefs.ErrInvalidArgument, hdr.Name)
	}
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// mkdirNoFollow makes the directories of rel under dir, each checked to
// be a real directory, never a symlink (the archive writes no symlinks).
func mkdirNoFollow(dir, rel string) error {
	if rel == "." || rel == "" {
		return nil
	}
	p := dir
	for c := range strings.SplitSeq(rel, "/") {
		p = filepath.Join(p, c)
		err := os.Mkdir(p, 0o700)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			return fmt.Errorf("%w: %q is a file and a directory", errdefs.ErrInvalidArgument, rel)
		}
	}
	return nil
}

func readJSON(dir, name string, v any) error {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: no %s: %w", errdefs.ErrInvalidArgument, name, err)
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: %s: %v", errdefs.ErrInvalidArgument, name, err)
	}
	return nil
}

// ApplyRootfs writes the archive's rootfs diff into upper, an empty
// directory that becomes the new container's overlayfs upper directory:
// its entries, then a whiteout for each path of deleted.files.
func (a *Archive) ApplyRootfs(ctx context.Context, upper string) error {
	var deleted []string
	if err := readJSON(a.Dir, DeletedFiles, &deleted); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	f, err := os.Open(filepath.Join(a.Dir, RootfsDiff))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: checkpoint archive has no %s", errdefs.ErrInvalidArgument, RootfsDiff)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	diff, err := unpack.Decompress(f, "")
	if err != nil {
		return fmt.Errorf("%s: %w", RootfsDiff, err)
	}
	defer diff.Close()
	pr, pw := io.Pipe()
	defer pr.Close() // unblocks the writer if Apply stops early
	go func() { pw.CloseWithError(appendWhiteouts(pw, diff, deleted)) }()
	if _, err := unpack.Apply(ctx, upper, bufio.NewReader(pr)); err != nil {
		return fmt.Errorf("%s: %w", RootfsDiff, err)
	}
	return nil
}

// appendWhiteouts copies the tar diff to w and adds an OCI whiteout for
// each deleted path.
func appendWhiteouts(w io.Writer, diff io.Reader, deleted []string) error {
	tr, tw := tar.NewReader(diff), tar.NewWriter(w)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: %v", errdefs.ErrInvalidArgument, err)
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
	}
	for _, p := range deleted {
		clean := strings.TrimPrefix(path.Clean("/"+p), "/")
		if clean == "" {
			continue
		}
		dir, base := path.Split(clean)
		if err := tw.WriteHeader(&tar.Header{Name: dir + whiteoutPrefix + base, Typeflag: tar.TypeReg, Mode: 0o600}); err != nil {
			return err
		}
	}
	return tw.Close()
}
