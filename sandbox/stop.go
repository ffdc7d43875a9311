package sandbox

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/store"
)

// Stop stops a pod: its containers, its pause container, its network
// namespace and /dev/shm. It is idempotent; an unknown ID is not an error,
// as kubelet expects.
func (m *Manager) Stop(ctx context.Context, id string) error {
	sb, ok, err := errdefs.Found(m.hold(ctx, id))
	if !ok {
		return err
	}
	defer sb.release()
	return m.stop(ctx, sb.Sandbox)
}

// stop stops sb, whose lock the caller holds.
func (m *Manager) stop(ctx context.Context, sb store.Sandbox) error {
	ctx = log.WithAttrs(ctx, log.KeySandboxID, sb.ID)
	// A pod whose containers do not stop keeps its network and its pause.
	if err := m.containers.StopAll(ctx, sb.ID); err != nil {
		return fmt.Errorf("stop containers of pod %s: %w", sb.ID, err)
	}
	// The network goes while the pause stops: CNI DEL works on the pinned
	// namespace, whether the pause still runs in it or not, and the
	// namespace is unpinned only after the DEL. Both run to their end.
	var netErr error
	var network sync.WaitGroup
	if !sb.NetworkDown {
		network.Go(func() { netErr = m.leaveNetwork(ctx, sb) })
	}
	pauseErr := m.pauses.Stop(ctx, sb.ID, pauseOf(sb), sb.TaskCgroup)
	if pauseErr != nil {
		pauseErr = fmt.Errorf("stop pause container: %w", pauseErr)
	}
	network.Wait()
	if err := errors.Join(pauseErr, netErr); err != nil {
		return err
	}
	if err := m.kernel.UnmountShm(m.podDir(sb.ID)); err != nil {
		return fmt.Errorf("unmount shm: %w", err)
	}
	if sb.State == store.SandboxNotReady && sb.NetworkDown {
		return nil // a stop recorded all this already
	}
	_, err := m.sandboxes.Update(sb.ID, func(s store.Sandbox) (store.Sandbox, error) {
		s.State, s.NetworkDown = store.SandboxNotReady, true
		return s, nil
	})
	return err
}

// leaveNetwork removes pod sb from its network and unpins its network
// namespace. The netns is named after the pod, so that it goes also when
// a crash came before its path was recorded. CNI's DEL comes first, with
// the netns when it still exists; the CNI cache knows the rest.
func (m *Manager) leaveNetwork(ctx context.Context, sb store.Sandbox) error {
	nsPath := filepath.Join(m.cfg.NetNSDir, sb.ID)
	if sb.Config.Msg.GetLinux().GetSecurityContext().GetNamespaceOptions().GetNetwork() != runtime.NamespaceMode_NODE {
		p := cniPod(sb.ID, nsPath, sb.Config.Msg)
		if !m.kernel.NetNSExists(nsPath) {
			p.NetNS = ""
		}
		if err := m.network.Teardown(ctx, p); err != nil {
			return fmt.Errorf("remove pod from network: %w", err)
		}
	}
	if err := m.kernel.RemoveNetNS(nsPath); err != nil {
		return fmt.Errorf("remove network namespace: %w", err)
	}
	return nil
}
