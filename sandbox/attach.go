package sandbox

import (
	"context"
	"errors"
	"fmt"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/cleanup"
	"github.com/skiffrt/skiff/internal/cni"
	"github.com/skiffrt/skiff/internal/proc"
)

// attachAndStart adds pod id to its network (when netnsPath is set) and
// starts its pause container, both at once, and returns the pod's IPs
// and the pause process. The two steps are independent: the pause joins
// the namespace pinned at netnsPath, which exists before either starts,
// and CNI configures that namespace, not the pause.
//
// Both undos are on cu before either starts, and both steps run to their
// end (neither cancels the other), so that a failure of one, of the
// other or of both undoes both: the pause is removed first, then the pod
// leaves the network (CNI DEL is idempotent, and cleans up after a
// failed ADD as well).
func (m *Manager) attachAndStart(ctx context.Context, cu *cleanup.Cleanup, id, netnsPath string, cfg *runtime.PodSandboxConfig, spec *specs.Spec) ([]string, proc.ID, error) {
	var (
		res   *cni.Result
		pause proc.ID
	)
	pod := cniPod(id, netnsPath, cfg)
	attach := func() (err error) {
		if netnsPath == "" {
			return nil
		}
		if res, err = m.network.Setup(ctx, pod); err != nil {
			return fmt.Errorf("pod network: %w", err)
		}
		return nil
	}
	start := func() (err error) {
		if pause, err = m.pauses.Start(ctx, id, spec); err != nil {
			return fmt.Errorf("pause container: %w", err)
		}
		return nil
	}
	if netnsPath != "" {
		cu.Add("remove from network", func(ctx context.Context) error { return m.network.Teardown(ctx, pod) })
	}
	cu.Add("remove pause", func(ctx context.Context) error { return m.pauses.Stop(ctx, id, pause, spec.Linux.CgroupsPath) })
	var attachErr error
	var both sync.WaitGroup
	both.Go(func() { attachErr = attach() })
	startErr := start()
	both.Wait()
	if err := errors.Join(attachErr, startErr); err != nil {
		return nil, proc.ID{}, err
	}
	var ips []string
	if res != nil {
		for _, ip := range res.IPs {
			ips = append(ips, ip.String())
		}
	}
	return ips, pause, nil
}
