package checkpoint

import (
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// The names in a container checkpoint archive (see the package
// documentation), as checkpointctl's library names them.
const (
	ImagesDir    = "checkpoint"
	ConfigDump   = "config.dump"
	SpecDump     = "spec.dump"
	StatusDump   = "status.dump"
	RootfsDiff   = "rootfs-diff.tar"
	DeletedFiles = "deleted.files"
	StatsDump    = "stats-dump"
	DumpLog      = "dump.log"
	ContainerLog = "container.log"
)

// IsArchive reports whether a CreateContainer image names a checkpoint
// archive to restore from: a path, as kubelet and crictl pass one (an
// image reference never starts with "/").
func IsArchive(image string) bool { return strings.HasPrefix(image, "/") }

// Config is config.dump, with the fields and JSON names of
// checkpointctl's ContainerConfig.
type Config struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// RootfsImage and RootfsImageName are the name of the image the
	// container ran, RootfsImageRef its ID: the base a restore needs.
	RootfsImage     string    `json:"rootfsImage,omitempty"`
	RootfsImageRef  string    `json:"rootfsImageRef,omitempty"`
	RootfsImageName string    `json:"rootfsImageName,omitempty"`
	OCIRuntime      string    `json:"runtime,omitempty"`
	CreatedTime     time.Time `json:"createdTime"`
	CheckpointedAt  time.Time `json:"checkpointedTime"`
	RestoredAt      time.Time `json:"restoredTime"`
	Restored        bool      `json:"restored"`
}

// Container is what Write puts in an archive.
type Container struct {
	Config Config
	Spec   *specs.Spec
	Status *runtime.ContainerStatus
	// ImagesDir holds CRIU's images; WorkDir is CRIU's work directory
	// (stats-dump, dump.log), also where Write stages the rootfs diff.
	ImagesDir, WorkDir string
	// UpperDir is the container's writable layer, an overlayfs upper
	// directory.
	UpperDir string
	// LogPath is the CRI log file; "" or a missing file adds none.
	LogPath string
}

// Archive is an archive that Unpack extracted.
type Archive struct {
	// Dir is where it was extracted; ImagesDir(), the CRIU images, is in it.
	Dir    string
	Config Config
	Spec   *specs.Spec
	// Status is nil when the archive has no status.dump (cri-o's).
	Status *runtime.ContainerStatus
}
