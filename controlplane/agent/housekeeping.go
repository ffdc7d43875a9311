package agent

import (
	"context"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/skiffrt/skiff/controlplane/agent/state"
	"github.com/skiffrt/skiff/controlplane/agent/static"
)

// housekeepLoop runs housekeep every HousekeepEvery.
func (a *Agent) housekeepLoop(ctx context.Context, wg *sync.WaitGroup) {
	t := time.NewTicker(a.cfg.HousekeepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.housekeep(ctx, wg)
		}
	}
}

// housekeep reconciles the static pods with the manifest directory, the
// mirror pods with the static pods, and removes what the runtime and the
// volume directory hold of pods no source knows.
func (a *Agent) housekeep(ctx context.Context, wg *sync.WaitGroup) {
	statics := a.syncStatic(ctx, wg)
	if err := a.mirrors.Sync(ctx, statics, a.mirrorPods()); err != nil && ctx.Err() == nil {
		slog.WarnContext(ctx, "mirror pods", "error", err)
	}
	a.removeOrphans(ctx)
	a.backoff.GC()
}

// syncStatic reads the manifests: new static pods get workers, changed
// or removed ones are terminated.
func (a *Agent) syncStatic(ctx context.Context, wg *sync.WaitGroup) []*corev1.Pod {
	if a.cfg.ManifestDir == "" {
		return nil
	}
	pods, errs := static.Read(a.cfg.ManifestDir, a.cfg.NodeName)
	for _, err := range errs {
		slog.WarnContext(ctx, "static pod manifest skipped", "error", err)
	}
	want := map[types.UID]*corev1.Pod{}
	for _, p := range pods {
		want[p.UID] = p
	}
	a.mu.Lock()
	old := a.statics
	a.statics = want
	a.mu.Unlock()
	for uid := range old {
		if _, ok := want[uid]; !ok {
			a.removePod(uid)
		}
	}
	for uid, p := range want {
		if _, ok := old[uid]; !ok {
			a.dispatch(ctx, wg, p, true)
		}
	}
	return pods
}

// removeOrphans kills and removes the runtime's pods that have no worker
// (deleted while the agent was down), and the volume directories of
// pods that are gone.
func (a *Agent) removeOrphans(ctx context.Context) {
	uids, err := a.runtimeUIDs(ctx)
	if err != nil {
		slog.WarnContext(ctx, "list runtime pods", "error", err)
		return
	}
	for _, uid := range uids {
		if a.known(uid) {
			continue
		}
		st, err := state.Read(ctx, a.cfg.Runtime, uid)
		if err == nil {
			slog.InfoContext(ctx, "removing orphaned pod", "pod", st.Namespace+"/"+st.Name, "uid", uid)
			if err = a.runner.KillPod(ctx, nil, st, nil); err == nil {
				err = a.runner.RemovePod(ctx, nil, st)
			}
		}
		if err != nil {
			slog.WarnContext(ctx, "remove orphaned pod", "uid", uid, "error", err)
		}
	}
	dirs, err := a.volumes.Pods()
	if err != nil {
		return
	}
	for _, uid := range dirs {
		if !a.known(uid) {
			if err := a.volumes.Teardown(uid); err != nil {
				slog.WarnContext(ctx, "remove volumes of a gone pod", "uid", uid, "error", err)
			}
		}
	}
}
