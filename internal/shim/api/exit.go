package api

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/skiffrt/skiff/internal/atomicfile"
)

// The reasons an Exit gives, as kubelet knows them.
const (
	ReasonCompleted = "Completed" // exit code 0
	ReasonError     = "Error"     // any other exit
	ReasonOOMKilled = "OOMKilled" // the kernel OOM-killed a process of the container
)

// Exit is how the container ended, as written to the exit file.
type Exit struct {
	Pid        int       `json:"pid"`
	ExitCode   int       `json:"exit_code"`        // 128+signal when killed by a signal
	Signal     int       `json:"signal,omitempty"` // the killing signal, if any
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at"`
	OOMKilled  bool      `json:"oom_killed"`
	Reason     string    `json:"reason"`
}

// WriteExit records e at path durably and atomically (package
// atomicfile), creating its directory: a reader sees no file or the whole
// record, also after a crash.
func WriteExit(path string, e *Exit) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write exit file: %w", err)
	}
	if err := atomicfile.Write(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write exit file: %w", err)
	}
	return nil
}

// ReadExit reads the exit file at path. A missing file is an
// os.ErrNotExist error.
func ReadExit(path string) (*Exit, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var e Exit
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("exit file %s: %w", path, err)
	}
	return &e, nil
}
