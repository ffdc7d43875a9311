package podfiles

import (
	"fmt"
	"path/filepath"

	"github.com/skiffrt/skiff/internal/atomicfile"
)

// Names of the files under a pod's directory.
const (
	HostnameFile   = "hostname"
	HostsFile      = "hosts"
	ResolvConfFile = "resolv.conf"
	ShmDir         = "shm"
)

// writeFile atomically replaces dir/name with data, mode 0644: containers
// running as any user read these files.
func writeFile(dir, name string, data []byte) error {
	if err := atomicfile.Write(filepath.Join(dir, name), data, 0o644); err != nil {
		return fmt.Errorf("podfiles: %w", err)
	}
	return nil
}
