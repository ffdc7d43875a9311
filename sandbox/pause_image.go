package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/image"
	"github.com/skiffrt/skiff/internal/image/remote"
)

// Images is what pods need from the image store when a pause image is
// configured.
type Images interface {
	Get(name string) (*image.Image, error)
	Pull(ctx context.Context, ref reference.Named, auth *remote.Auth) (*image.Image, error)
	Config(id digest.Digest) ([]byte, error)
	LayerDirs(id digest.Digest) ([]string, error)
}

// pauseRoot returns the rootfs and command of pod id's pause container:
// skiff's own shared one, or, with a configured pause image, that image
// (pulled when missing) mounted for this pod.
func (m *Manager) pauseRoot(ctx context.Context, id string) (string, []string, error) {
	if m.cfg.PauseImage == "" {
		return m.cfg.PauseRootfs, []string{PauseBinary}, nil
	}
	img, err := m.images.Get(m.cfg.PauseImage)
	if errdefs.IsNotFound(err) {
		ref, perr := image.ParseRef(m.cfg.PauseImage)
		if perr != nil {
			return "", nil, perr
		}
		img, err = m.images.Pull(ctx, ref, nil)
	}
	if err != nil {
		return "", nil, fmt.Errorf("pause image %s: %w", m.cfg.PauseImage, err)
	}
	raw, err := m.images.Config(img.ID)
	if err != nil {
		return "", nil, err
	}
	var cfg ocispec.Image
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return "", nil, fmt.Errorf("pause image %s: config: %w", m.cfg.PauseImage, err)
	}
	args := append(append([]string{}, cfg.Config.Entrypoint...), cfg.Config.Cmd...)
	if len(args) == 0 {
		return "", nil, fmt.Errorf("%w: pause image %s has no entrypoint or command", errdefs.ErrFailedPrecondition, m.cfg.PauseImage)
	}
	lowers, err := m.images.LayerDirs(img.ID)
	if err != nil {
		return "", nil, err
	}
	root, err := m.rootfs.Mount(ctx, lowers, m.pauseImageDir(id))
	if err != nil {
		return "", nil, fmt.Errorf("pause rootfs: %w", err)
	}
	return root, args, nil
}

// pauseImageDir holds the rootfs of pod id's pause image, if any.
func (m *Manager) pauseImageDir(id string) string { return filepath.Join(m.cfg.PauseImageDir, id) }

// removePauseImageDir unmounts pod id's pause image and removes its
// directory, if there are any: also when the pod was made under another
// configuration.
func (m *Manager) removePauseImageDir(id string) error {
	if err := m.rootfs.Unmount(m.pauseImageDir(id)); err != nil {
		return fmt.Errorf("unmount pause image: %w", err)
	}
	if err := os.RemoveAll(m.pauseImageDir(id)); err != nil {
		return fmt.Errorf("remove pause image directory: %w", err)
	}
	return nil
}
