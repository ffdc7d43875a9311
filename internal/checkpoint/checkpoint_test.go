package checkpoint

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/rootfs"
)

func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (whiteouts, trusted xattrs, overlayfs)")
	}
}

func write(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// upperDir is an overlayfs upper directory made by hand: a changed file,
// a hard link, a symlink, a whiteout, an opaque directory, an xattr.
func upperDir(t *testing.T) string {
	up := t.TempDir()
	write(t, filepath.Join(up, "etc/hostname"), "changed\n")
	must(t, os.Link(filepath.Join(up, "etc/hostname"), filepath.Join(up, "etc/hostname.link")))
	must(t, os.Symlink("/etc/hostname", filepath.Join(up, "etc/name")))
	must(t, unix.Mknod(filepath.Join(up, "etc/motd"), unix.S_IFCHR, 0))
	write(t, filepath.Join(up, "var/cache/new"), "fresh")
	must(t, unix.Setxattr(filepath.Join(up, "var/cache"), "trusted.overlay.opaque", []byte("y"), 0))
	must(t, unix.Setxattr(filepath.Join(up, "var/cache/new"), "user.note", []byte("kept"), 0))
	return up
}

type entry struct {
	typ   byte
	extra string // link target, file content or xattr
}

func tarEntries(t *testing.T, r io.Reader) map[string]entry {
	t.Helper()
	got := map[string]entry{}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return got
		}
		must(t, err)
		e := entry{typ: hdr.Typeflag, extra: hdr.Linkname}
		if hdr.Typeflag == tar.TypeReg {
			b, _ := io.ReadAll(tr)
			e.extra = string(b)
		}
		if x, ok := hdr.PAXRecords["SCHILY.xattr.user.note"]; ok {
			e.extra += "+xattr=" + x
		}
		for k := range hdr.PAXRecords {
			if strings.Contains(k, "overlay") {
				t.Errorf("%s carries overlayfs xattr %s", hdr.Name, k)
			}
		}
		got[hdr.Name] = e
	}
}

func TestWriteDiff(t *testing.T) {
	requireRoot(t)
	var buf bytes.Buffer
	deleted, err := WriteDiff(context.Background(), &buf, upperDir(t))
	must(t, err)
	want := map[string]entry{
		"etc/":                   {typ: tar.TypeDir},
		"etc/hostname":           {typ: tar.TypeReg, extra: "changed\n"},
		"etc/hostname.link":      {typ: tar.TypeLink, extra: "etc/hostname"},
		"etc/name":               {typ: tar.TypeSymlink, extra: "/etc/hostname"},
		"etc/.wh.motd":           {typ: tar.TypeReg},
		"var/":                   {typ: tar.TypeDir},
		"var/cache/":             {typ: tar.TypeDir},
		"var/cache/.wh..wh..opq": {typ: tar.TypeReg},
		"var/cache/new":          {typ: tar.TypeReg, extra: "fresh+xattr=kept"},
	}
	got := tarEntries(t, &buf)
	for name, w := range want {
		if g, ok := got[name]; !ok || g != w {
			t.Errorf("entry %s = %+v (present %v), want %+v", name, g, ok, w)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("unexpected entry %s", name)
		}
	}
	if !slices.Equal(deleted, []string{"/etc/motd"}) {
		t.Errorf("deleted = %q, want [/etc/motd] (opaque directories are not listed)", deleted)
	}
}

// container makes what Write takes: CRIU's images and work directories,
// the writable layer of a real overlay over lower, a log.
func container(t *testing.T, upper string) *Container {
	images, work := t.TempDir(), t.TempDir()
	write(t, filepath.Join(images, "inventory.img"), "criu inventory")
	write(t, filepath.Join(images, "pages-1.img"), strings.Repeat("p", 8192))
	write(t, filepath.Join(work, StatsDump), "stats")
	write(t, filepath.Join(work, DumpLog), "dump log")
	logPath := filepath.Join(t.TempDir(), "0.log")
	write(t, logPath, "2026-12-04T00:00:00Z stdout F 41\n")
	created := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	return &Container{
		Config: Config{ID: "c1", Name: "k8s_counter_p_ns_uid_0", RootfsImage: "docker.io/library/busybox:latest",
			RootfsImageName: "docker.io/library/busybox:latest", RootfsImageRef: "sha256:abc", OCIRuntime: "skiff",
			CreatedTime: created, CheckpointedAt: created.Add(time.Minute)},
		Spec:      &specs.Spec{Version: "1.2.0", Process: &specs.Process{Args: []string{"sh"}}, Annotations: map[string]string{"io.kubernetes.cri.container-name": "counter"}},
		Status:    &runtime.ContainerStatus{Id: "c1", State: runtime.ContainerState_CONTAINER_RUNNING, Metadata: &runtime.ContainerMetadata{Name: "counter"}},
		ImagesDir: images, WorkDir: work, UpperDir: upper, LogPath: logPath,
	}
}

func TestWriteLayout(t *testing.T) {
	requireRoot(t)
	c := container(t, upperDir(t))
	c.LogPath = filepath.Join(t.TempDir(), "missing.log") // no log: no container.log
	out := filepath.Join(t.TempDir(), "ckpt.tar")
	must(t, Write(context.Background(), out, c))
	f, err := os.Open(out)
	must(t, err)
	defer f.Close()
	got := tarEntries(t, f)
	for _, name := range []string{"checkpoint/", "checkpoint/inventory.img", "checkpoint/pages-1.img", ConfigDump, SpecDump, StatusDump, RootfsDiff, DeletedFiles, StatsDump, DumpLog} {
		if _, ok := got[name]; !ok {
			t.Errorf("archive lacks %s", name)
		}
	}
	if _, ok := got[ContainerLog]; ok {
		t.Errorf("archive has %s without a log file", ContainerLog)
	}
	if d := got[DeletedFiles].extra; !strings.Contains(d, `"/etc/motd"`) {
		t.Errorf("deleted.files = %s, want /etc/motd in it", d)
	}
	if cfg := got[ConfigDump].extra; !strings.Contains(cfg, `"rootfsImageName": "docker.io/library/busybox:latest"`) || !strings.Contains(cfg, `"checkpointedTime"`) {
		t.Errorf("config.dump lacks checkpointctl's fields:\n%s", cfg)
	}
	if _, err := os.Stat(filepath.Join(c.WorkDir, RootfsDiff)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the staged rootfs diff was left in the work directory: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".*tmp*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %q", left)
	}
}

func TestWriteFailsWithoutPartialArchive(t *testing.T) {
	requireRoot(t)
	c := container(t, upperDir(t))
	c.ImagesDir = filepath.Join(t.TempDir(), "none") // CRIU wrote nothing
	out := filepath.Join(t.TempDir(), "ckpt.tar")
	if err := Write(context.Background(), out, c); err == nil {
		t.Fatal("Write without images succeeded")
	}
	if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 0 {
		t.Errorf("files left beside the archive: %v", entries)
	}
}

// mergedFiles lists the merged view of an overlay of lower and upper:
// path → content ("dir" for directories, "-> target" for symlinks).
func mergedFiles(t *testing.T, lower []string, upper string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	must(t, os.Rename(upper, filepath.Join(dir, rootfs.UpperDir)))
	root, err := rootfs.Mount(context.Background(), lower, dir)
	must(t, err)
	defer func() { must(t, rootfs.Unmount(dir)) }()
	return listTree(t, root)
}

func listTree(t *testing.T, root string) map[string]string {
	t.Helper()
	got := map[string]string{}
	must(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case d.IsDir():
			got[rel] = "dir"
		case d.Type()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			got[rel] = "-> " + l
		default:
			b, err := os.ReadFile(p)
			must(t, err)
			got[rel] = string(b)
		}
		return nil
	}))
	return got
}

// TestRoundTrip writes the archive of a real container layer and
// restores it onto a new upper directory over the same image: the merged
// views are the same.
func TestRoundTrip(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	lower := t.TempDir()
	write(t, filepath.Join(lower, "etc/hostname"), "image\n")
	write(t, filepath.Join(lower, "etc/motd"), "welcome\n")
	write(t, filepath.Join(lower, "var/cache/old"), "stale")
	write(t, filepath.Join(lower, "bin/sh"), "shell")

	ctrDir := t.TempDir()
	root, err := rootfs.Mount(ctx, []string{lower}, ctrDir)
	must(t, err)
	t.Cleanup(func() { rootfs.Unmount(ctrDir) })
	write(t, filepath.Join(root, "etc/hostname"), "changed\n")
	must(t, os.Remove(filepath.Join(root, "etc/motd")))
	must(t, os.RemoveAll(filepath.Join(root, "var/cache")))
	write(t, filepath.Join(root, "var/cache/new"), "fresh")
	must(t, os.Symlink("/etc/hostname", filepath.Join(root, "etc/name")))
	want := listTree(t, root)

	c := container(t, filepath.Join(ctrDir, rootfs.UpperDir))
	out := filepath.Join(t.TempDir(), "ckpt.tar")
	must(t, Write(ctx, out, c))

	a, err := Unpack(ctx, out, filepath.Join(t.TempDir(), "restore"))
	must(t, err)
	if a.Config != c.Config {
		t.Errorf("config = %+v, want %+v", a.Config, c.Config)
	}
	if a.Spec.Annotations["io.kubernetes.cri.container-name"] != "counter" || a.Status.GetMetadata().GetName() != "counter" {
		t.Errorf("spec or status lost: %+v %v", a.Spec, a.Status)
	}
	if b, err := os.ReadFile(filepath.Join(a.ImagesDir(), "pages-1.img")); err != nil || len(b) != 8192 {
		t.Errorf("CRIU images: %d bytes, %v", len(b), err)
	}
	upper := filepath.Join(t.TempDir(), "upper")
	must(t, os.Mkdir(upper, 0o755))
	must(t, a.ApplyRootfs(ctx, upper))
	got := mergedFiles(t, []string{lower}, upper)
	for p, w := range want {
		if got[p] != w {
			t.Errorf("restored %s = %q, want %q", p, got[p], w)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("restored rootfs has %s (%q), which the container had removed", p, got[p])
		}
	}
}

// TestDeletedFilesWithoutWhiteouts reads the form cri-o and Podman write:
// a plain tar diff and the removed paths in deleted.files.
func TestDeletedFilesWithoutWhiteouts(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	lower := t.TempDir()
	write(t, filepath.Join(lower, "etc/motd"), "welcome\n")
	write(t, filepath.Join(lower, "etc/issue"), "debian\n")
	var diff bytes.Buffer
	tw := tar.NewWriter(&diff)
	must(t, tw.WriteHeader(&tar.Header{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755}))
	must(t, tw.WriteHeader(&tar.Header{Name: "etc/new", Typeflag: tar.TypeReg, Mode: 0o644, Size: 3}))
	_, err := tw.Write([]byte("new"))
	must(t, err)
	must(t, tw.Close())
	out := archive(t, map[string]string{
		ConfigDump: `{"id":"x","name":"n"}`, SpecDump: `{"ociVersion":"1.0.0"}`, "checkpoint/inventory.img": "i",
		RootfsDiff: diff.String(), DeletedFiles: `["/etc/motd", "/../../etc/issue", "/"]`,
	})
	a, err := Unpack(ctx, out, filepath.Join(t.TempDir(), "x"))
	must(t, err)
	if a.Status != nil {
		t.Errorf("status = %v, want nil without status.dump", a.Status)
	}
	upper := filepath.Join(t.TempDir(), "upper")
	must(t, os.Mkdir(upper, 0o755))
	must(t, a.ApplyRootfs(ctx, upper))
	got := mergedFiles(t, []string{lower}, upper)
	want := map[string]string{"etc": "dir", "etc/new": "new"}
	if len(got) != len(want) || got["etc/new"] != "new" {
		t.Errorf("merged = %v, want %v (motd and issue removed, confined to the root)", got, want)
	}
}

// archive writes a tar of name → content (a name ending in "/" is a
// directory; "name -> target" a symlink).
func archive(t *testing.T, files map[string]string) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		switch name, target, link := strings.Cut(n, " -> "); {
		case link:
			must(t, tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeSymlink, Linkname: target}))
		case strings.HasSuffix(n, "/"):
			must(t, tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeDir, Mode: 0o755}))
		default:
			must(t, tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(files[n]))}))
			_, err := tw.Write([]byte(files[n]))
			must(t, err)
		}
	}
	must(t, tw.Close())
	p := filepath.Join(t.TempDir(), "a.tar")
	must(t, os.WriteFile(p, buf.Bytes(), 0o600))
	return p
}

func TestUnpackRefuses(t *testing.T) {
	base := map[string]string{ConfigDump: `{"id":"x"}`, SpecDump: `{}`, "checkpoint/inventory.img": "i"}
	with := func(extra map[string]string, drop ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			if !slices.Contains(drop, k) {
				m[k] = v
			}
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name  string
		files map[string]string
		class error
	}{
		{"no config.dump", with(nil, ConfigDump), errdefs.ErrInvalidArgument},
		{"no spec.dump", with(nil, SpecDump), errdefs.ErrInvalidArgument},
		{"bad config.dump", with(map[string]string{ConfigDump: "{"}), errdefs.ErrInvalidArgument},
		{"no images", with(nil, "checkpoint/inventory.img"), errdefs.ErrInvalidArgument},
		{"images dir is a file", with(map[string]string{"checkpoint": "x"}, "checkpoint/inventory.img"), errdefs.ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Unpack(context.Background(), archive(t, tt.files), filepath.Join(t.TempDir(), "x"))
			if !errors.Is(err, tt.class) {
				t.Errorf("Unpack = %v, want %v", err, tt.class)
			}
		})
	}
	t.Run("not a tar", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "x.tar")
		must(t, os.WriteFile(p, bytes.Repeat([]byte("no tar "), 200), 0o600))
		if _, err := Unpack(context.Background(), p, filepath.Join(t.TempDir(), "x")); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("Unpack = %v, want invalid argument", err)
		}
	})
	t.Run("missing", func(t *testing.T) {
		if _, err := Unpack(context.Background(), "/nonexistent.tar", filepath.Join(t.TempDir(), "x")); !errors.Is(err, errdefs.ErrNotFound) {
			t.Errorf("Unpack = %v, want not found", err)
		}
	})
}

// TestUnpackConfines: names that climb, absolute names, symlinks and
// unknown entries never write outside the directory.
func TestUnpackConfines(t *testing.T) {
	outside := t.TempDir()
	files := map[string]string{
		ConfigDump: `{"id":"x"}`, SpecDump: `{}`, "checkpoint/inventory.img": "i",
		"../escape":                        "x",
		"checkpoint/../../escape2":         "x",
		"/" + outside + "/abs":             "x",
		"checkpoint/link -> " + outside:    "",
		"checkpoint/sub/deeper.img":        "ok",
		"artifacts/extra":                  "podman's",
		"rootfs-diff.tar/../../../escape3": "x",
	}
	dir := filepath.Join(t.TempDir(), "x")
	a, err := Unpack(context.Background(), archive(t, files), dir)
	must(t, err)
	got := listTree(t, filepath.Dir(dir))
	want := map[string]string{
		"x": "dir", "x/config.dump": `{"id":"x"}`, "x/spec.dump": "{}", "x/checkpoint": "dir",
		"x/checkpoint/inventory.img": "i", "x/checkpoint/sub": "dir", "x/checkpoint/sub/deeper.img": "ok",
	}
	if len(got) != len(want) {
		t.Errorf("extracted %v, want %v", got, want)
	}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("%s = %q, want %q", p, got[p], w)
		}
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("wrote outside: %v", entries)
	}
	if a.Config.ID != "x" {
		t.Errorf("config = %+v", a.Config)
	}
}
