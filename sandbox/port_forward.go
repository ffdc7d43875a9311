package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/store"
)

// CheckPortForward checks that pod id (or a unique prefix of it) is
// ready and that ports are TCP port numbers, and returns the pod's full
// ID. No port is fine: the client names them as it forwards.
func (m *Manager) CheckPortForward(ctx context.Context, id string, ports []int32) (string, error) {
	sb, err := m.ready(ctx, id)
	if err != nil {
		return "", err
	}
	for _, p := range ports {
		if err := checkPort(p); err != nil {
			return "", err
		}
	}
	return sb.ID, nil
}

// DialPort connects to TCP port on localhost in pod id's network
// namespace (the host's for a host-network pod), opened from skiffd.
// UDP is not forwarded: a port that only a UDP socket holds is refused
// saying so, as kubectl does.
func (m *Manager) DialPort(ctx context.Context, id string, port int32) (net.Conn, error) {
	sb, err := m.ready(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := checkPort(port); err != nil {
		return nil, err
	}
	conn, err := m.kernel.DialLoopback(ctx, sb.NetNS, uint16(port))
	if err == nil {
		return conn, nil
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		if m.kernel.UDPBound(sb.NetNS, uint16(port)) {
			return nil, fmt.Errorf("%w: pod %s: port %d is UDP: port-forward carries TCP only, UDP is not supported", errdefs.ErrInvalidArgument, sb.ID, port)
		}
		return nil, fmt.Errorf("%w: pod %s: nothing listens on TCP port %d: %v", errdefs.ErrFailedPrecondition, sb.ID, port, err)
	}
	return nil, fmt.Errorf("pod %s: connect to port %d: %w", sb.ID, port, err)
}

// ready returns pod id if it is ready.
func (m *Manager) ready(ctx context.Context, id string) (store.Sandbox, error) {
	sb, err := m.Get(ctx, id)
	if err != nil {
		return sb, err
	}
	if sb.State != store.SandboxReady {
		return sb, fmt.Errorf("%w: pod sandbox %s is not ready", errdefs.ErrFailedPrecondition, sb.ID)
	}
	return sb, nil
}

func checkPort(p int32) error {
	if p < 1 || p > 65535 {
		return fmt.Errorf("%w: port %d is out of range 1-65535", errdefs.ErrInvalidArgument, p)
	}
	return nil
}
