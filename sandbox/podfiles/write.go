package podfiles

import (
	"fmt"
	"os"
	"path/filepath"
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
	tmp, err := os.CreateTemp(dir, "."+name+".tmp*")
	if err != nil {
		return fmt.Errorf("podfiles: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, name))
	}
	if err != nil {
		return fmt.Errorf("podfiles: write %s: %w", name, err)
	}
	return nil
}
