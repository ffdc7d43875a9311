package container

import (
	"fmt"
	"path/filepath"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/hostpath"
)

// logPath is the host path of a container's CRI log, rel inside dir, the
// pod's log directory; "" when either is empty (no log). rel may not lead
// out of dir, with ".." (oci.CheckContainerConfig) or through a symlink
// in the part that exists. The shim opens the file itself without
// following a symlink.
func logPath(dir, rel string) (string, error) {
	if dir == "" || rel == "" {
		return "", nil
	}
	p := filepath.Join(dir, rel)
	if !hostpath.Within(p, dir) {
		return "", fmt.Errorf("container config: log_path: %q leads out of the pod's log directory %s through a symlink: %w", rel, dir, errdefs.ErrInvalidArgument)
	}
	return p, nil
}
