package server

import (
	"context"
	"fmt"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/events"
	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/store"
)

// Events is where container and pod events come from (events.Broker).
type Events interface {
	Subscribe() *events.Listener
}

var eventTypes = map[events.Type]runtime.ContainerEventType{
	events.Created: runtime.ContainerEventType_CONTAINER_CREATED_EVENT,
	events.Started: runtime.ContainerEventType_CONTAINER_STARTED_EVENT,
	events.Stopped: runtime.ContainerEventType_CONTAINER_STOPPED_EVENT,
	events.Deleted: runtime.ContainerEventType_CONTAINER_DELETED_EVENT,
}

// GetContainerEvents streams the created, started, stopped and deleted
// events of containers and pods, each with its pod's status and its
// containers' statuses, as kubelet's evented PLEG reads them, until the
// client goes. A client that falls too far behind is dropped with
// ResourceExhausted; it reconnects and relists.
func (s *Server) GetContainerEvents(_ *runtime.GetEventsRequest, stream runtime.RuntimeService_GetContainerEventsServer) error {
	ctx := stream.Context()
	l := s.events.Subscribe()
	defer l.Close()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-l.C:
			if !ok {
				log.G(ctx).Warn("dropped a container events client that fell behind", log.KeyError, l.Err())
				return fmt.Errorf("%w: %w", errdefs.ErrResourceExhausted, l.Err())
			}
			if err := stream.Send(s.toCRIEvent(ctx, e)); err != nil {
				return err
			}
		}
	}
}

// toCRIEvent is e with the pod's status as it is now, except that the
// object of the event is shown as the event left it.
func (s *Server) toCRIEvent(ctx context.Context, e events.Event) *runtime.ContainerEventResponse {
	out := &runtime.ContainerEventResponse{ContainerId: e.ContainerID, ContainerEventType: eventTypes[e.Type], CreatedAt: e.Time.UnixNano()}
	if e.Sandbox != nil {
		out.PodSandboxStatus = toCRISandboxStatus(*e.Sandbox)
	} else if sb, err := s.sandboxes.Get(ctx, e.SandboxID); err == nil {
		out.PodSandboxStatus = toCRISandboxStatus(sb)
	}
	for _, c := range s.containers.List(func(c store.Container) bool { return c.SandboxID == e.SandboxID }) {
		if e.Container != nil && c.ID == e.ContainerID {
			continue
		}
		out.ContainersStatuses = append(out.ContainersStatuses, toCRIContainerStatus(c))
	}
	if e.Container != nil && e.Type != events.Deleted {
		out.ContainersStatuses = append(out.ContainersStatuses, toCRIContainerStatus(*e.Container))
	}
	return out
}
