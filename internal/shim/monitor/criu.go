package monitor

import (
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/skiffrt/skiff/internal/shim/api"
)

// criuDir is the directory, in the bundle (the shim's working
// directory), that holds the criu the shim runs.
const criuDir = "criu-bin"

var (
	criuMu   sync.Mutex // guards PATH changes
	basePATH = os.Getenv("PATH")
)

// useCRIU makes libcontainer, which runs "criu" by name from PATH (it
// takes no path), run the binary at path: a symlink criu-bin/criu in the
// bundle points at it, and that directory goes first in the shim's
// PATH. "" leaves PATH as the shim found it.
func useCRIU(path string) error {
	criuMu.Lock()
	defer criuMu.Unlock()
	if path == "" {
		return os.Setenv("PATH", basePATH)
	}
	if !filepath.IsAbs(path) {
		return api.Errorf(api.CodeInvalidArgument, "criu %q is not an absolute path", path)
	}
	dir, err := filepath.Abs(criuDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	link := filepath.Join(dir, "criu")
	tmp := link + ".tmp"
	os.Remove(tmp)
	if err := os.Symlink(path, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, link); err != nil {
		return err
	}
	return os.Setenv("PATH", strings.Join([]string{dir, basePATH}, string(os.PathListSeparator)))
}
