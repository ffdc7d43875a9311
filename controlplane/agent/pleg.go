package agent

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/controlplane/agent/podspec"
)

// relistLoop lists the runtime's sandboxes and containers every
// RelistEvery and wakes the workers of pods whose sandboxes or
// containers changed state (kubelet's PLEG): a container that exits is
// noticed within a second.
func (a *Agent) relistLoop(ctx context.Context) {
	t := time.NewTicker(a.cfg.RelistEvery)
	defer t.Stop()
	var last map[types.UID]string
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cur, err := a.relist(ctx)
		if err != nil {
			if ctx.Err() == nil {
				slog.DebugContext(ctx, "relist", "error", err)
			}
			continue
		}
		for uid, fp := range cur {
			if last[uid] != fp {
				a.poke(uid)
			}
		}
		for uid := range last {
			if _, ok := cur[uid]; !ok {
				a.poke(uid)
			}
		}
		last = cur
	}
}

// relist returns a fingerprint of each pod's sandboxes and containers
// and their states, by pod UID.
func (a *Agent) relist(ctx context.Context) (map[types.UID]string, error) {
	sbs, err := a.cfg.Runtime.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		return nil, err
	}
	cs, err := a.cfg.Runtime.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
	if err != nil {
		return nil, err
	}
	parts := map[types.UID][]string{}
	for _, sb := range sbs.Items {
		uid := types.UID(sb.Labels[podspec.LabelPodUID])
		parts[uid] = append(parts[uid], fmt.Sprintf("s:%s:%d", sb.Id, sb.State))
	}
	for _, c := range cs.Containers {
		uid := types.UID(c.Labels[podspec.LabelPodUID])
		parts[uid] = append(parts[uid], fmt.Sprintf("c:%s:%d", c.Id, c.State))
	}
	out := make(map[types.UID]string, len(parts))
	for uid, p := range parts {
		if uid == "" {
			continue // not a pod of an agent
		}
		slices.Sort(p)
		out[uid] = strings.Join(p, ",")
	}
	return out, nil
}

// runtimeUIDs are the pod UIDs the runtime has anything of.
func (a *Agent) runtimeUIDs(ctx context.Context) ([]types.UID, error) {
	m, err := a.relist(ctx)
	if err != nil {
		return nil, err
	}
	return slices.Collect(maps.Keys(m)), nil
}
