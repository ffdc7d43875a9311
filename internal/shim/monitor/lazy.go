package monitor

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/opencontainers/runc/libcontainer"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/skiffrt/skiff/internal/shim/api"
)

// libcontainer returns libcontainer's view of the container, loaded
// from the state directory that the helper made on first use (as runc's
// commands after "runc create" do). A container whose state is gone is
// CodeNotFound.
func (c *container) libcontainer() (*libcontainer.Container, error) {
	c.lcMu.Lock()
	defer c.lcMu.Unlock()
	if c.lc == nil {
		lc, err := load(api.HelperOptions{ID: c.id, StateRoot: c.stateRoot})
		if err != nil {
			return nil, err
		}
		c.lc = lc
	}
	return c.lc, nil
}

// process returns the spec's process, the defaults of every exec,
// loaded from the bundle on first use.
func (c *container) process() (*specs.Process, error) {
	c.lcMu.Lock()
	defer c.lcMu.Unlock()
	if c.spec == nil {
		s, err := loadSpec(c.bundle)
		if err != nil {
			return nil, err
		}
		c.spec = s
	}
	return c.spec.Process, nil
}

// destroy removes the container: its cgroups, with any process left in
// them, and its state directory. One that is gone already is fine. Hooks
// may run: the caller holds the reaper off.
func (c *container) destroy() error {
	lc, err := c.libcontainer()
	if e := api.AsError(err); e != nil && e.Code == api.CodeNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	return lc.Destroy()
}

// loadTerminal reads from bundle/config.json whether the process has a
// terminal, and nothing else: decoding the whole spec would leave its
// garbage in the idle shim's heap.
func loadTerminal(bundle string) (bool, error) {
	b, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		return false, api.Errorf(api.CodeInvalidArgument, "read OCI spec: %v", err)
	}
	var s struct {
		Process *struct {
			Terminal bool `json:"terminal"`
		} `json:"process"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return false, api.Errorf(api.CodeInvalidArgument, "parse OCI spec: %v", err)
	}
	if s.Process == nil {
		return false, api.Errorf(api.CodeInvalidArgument, "OCI spec: no process")
	}
	return s.Process.Terminal, nil
}
