package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/encoding/protojson"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// A pod checkpoint (CheckpointPod, RestorePod) is a directory: the pod's
// config (PodDump, protojson, whose metadata and hostname checkpointctl
// reads), the list of its containers (PodOptions) and one container
// archive per container, <name>.tar.
const (
	PodDump    = "pod.dump"
	PodOptions = "pod.options"
)

// Pod is pod.options.
type Pod struct {
	Version int `json:"version"`
	// Containers are the checkpointed containers' names; each is in
	// ArchiveOf(dir, name).
	Containers []string `json:"containers"`
}

// ArchiveOf is the archive of container name in pod checkpoint dir.
func ArchiveOf(dir, name string) string { return filepath.Join(dir, name+".tar") }

// WritePod writes pod.dump and pod.options of the checkpoint in dir of a
// pod with config cfg whose containers names have their archives there.
func WritePod(dir string, cfg *runtime.PodSandboxConfig, names []string) error {
	opts, err := json.MarshalIndent(Pod{Version: 1, Containers: names}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, PodOptions), opts, 0o600); err != nil {
		return fmt.Errorf("pod checkpoint: %w", err)
	}
	dump, err := protojson.Marshal(cfg)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, PodDump), dump, 0o600); err != nil {
		return fmt.Errorf("pod checkpoint: %w", err)
	}
	return nil
}

// ReadPod reads pod.options of the pod checkpoint in dir.
func ReadPod(dir string) (*Pod, error) {
	raw, err := os.ReadFile(filepath.Join(dir, PodOptions))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s is no pod checkpoint: %v", errdefs.ErrInvalidArgument, dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("pod checkpoint: %w", err)
	}
	var p Pod
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", errdefs.ErrInvalidArgument, PodOptions, err)
	}
	return &p, nil
}
