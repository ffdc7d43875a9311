//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// TestEventsOfAPodLifeCycle has two clients listen to GetContainerEvents
// through a whole pod life cycle: both get every event, in order, each
// with the pod's status.
func TestEventsOfAPodLifeCycle(t *testing.T) {
	reg := startRegistry(t)
	addr := freeLoopbackAddr(t)
	d := startDaemon(t, append(mirrorArgs(reg), "--metrics-addr", addr)...)
	d.pull(t, "busybox")
	var streams []runtime.RuntimeService_GetContainerEventsClient
	for range 2 {
		s, err := d.runtime.GetContainerEvents(ctxT(t), &runtime.GetEventsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		streams = append(streams, s)
	}
	waitFor(t, "both listeners", func() bool {
		return strings.Contains(httpGet(t, "http://"+addr+"/metrics"), "skiff_container_event_listeners 2")
	})

	cfg := podConfig(t, "events")
	pod := d.runPod(t, cfg)
	ctr := d.runContainer(t, pod, cfg, "c", "exec sleep 1000")
	if _, err := d.runtime.StopContainer(ctxT(t), &runtime.StopContainerRequest{ContainerId: ctr}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.runtime.RemoveContainer(ctxT(t), &runtime.RemoveContainerRequest{ContainerId: ctr}); err != nil {
		t.Fatal(err)
	}
	d.removePod(t, pod)

	want := []string{
		"pod created", "pod started", "ctr created", "ctr started", "ctr stopped", "ctr deleted", "pod stopped", "pod deleted",
	}
	names := map[string]string{pod: "pod", ctr: "ctr"}
	for i, s := range streams {
		for j, w := range want {
			e, err := s.Recv()
			if err != nil {
				t.Fatalf("listener %d, event %d: %v", i, j, err)
			}
			got := fmt.Sprintf("%s %s", names[e.ContainerId], eventName[e.ContainerEventType])
			if got != w {
				t.Fatalf("listener %d, event %d: %s (%s), want %s", i, j, got, e.ContainerId, w)
			}
			if e.CreatedAt == 0 || e.PodSandboxStatus.GetMetadata().GetName() != "events" || e.PodSandboxStatus.Id != pod {
				t.Errorf("listener %d, %s: pod status %v", i, w, e.PodSandboxStatus)
			}
			if names[e.ContainerId] == "ctr" && w != "ctr deleted" && (len(e.ContainersStatuses) != 1 || e.ContainersStatuses[0].Id != ctr) {
				t.Errorf("listener %d, %s: container statuses %v", i, w, e.ContainersStatuses)
			}
		}
	}
}

var eventName = map[runtime.ContainerEventType]string{
	runtime.ContainerEventType_CONTAINER_CREATED_EVENT: "created",
	runtime.ContainerEventType_CONTAINER_STARTED_EVENT: "started",
	runtime.ContainerEventType_CONTAINER_STOPPED_EVENT: "stopped",
	runtime.ContainerEventType_CONTAINER_DELETED_EVENT: "deleted",
}
