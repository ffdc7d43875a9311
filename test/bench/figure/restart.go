package figure

import (
	"context"
	"fmt"
	"time"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/test/bench/daemon"
	"github.com/skiffrt/skiff/test/bench/report"
)

var restartFig = report.Figure{Key: "restart", Title: "restart: daemon start until ListContainers lists every running container", Unit: "ms"}

// Restart stops the daemon (SIGTERM), starts it again and records the
// time from its start until ListContainers answers with every running
// pod's container in state RUNNING. Each poll uses a new connection (a
// failed gRPC connection backs off for a second before redialing).
func Restart(ctx context.Context, t *Target, timeout time.Duration) error {
	want := map[string]bool{}
	for _, p := range t.Pods {
		want[p.ContainerID] = true
	}
	if err := t.RT.Stop(30 * time.Second); err != nil {
		return err
	}
	start := time.Now()
	if err := t.RT.Launch(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		if n, err := runningOf(ctx, t.RT.Socket(), want); err == nil && n == len(want) {
			break
		}
		if t.RT.PID() == 0 {
			return fmt.Errorf("restart: %s exited; log %s", t.RT.Name(), t.RT.Log())
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("restart: %s did not list %d running containers within %s", t.RT.Name(), len(want), timeout)
		case <-time.After(5 * time.Millisecond):
		}
	}
	d := time.Since(start)
	f := restartFig
	f.Title = fmt.Sprintf("%s (%d pods)", f.Title, len(want))
	t.set(f, float64(d.Microseconds())/1000)
	conn, err := daemon.Dial(t.RT.Socket())
	if err != nil {
		return err
	}
	t.CRI.Use(conn)
	return nil
}

// runningOf returns how many of want ListContainers reports running.
func runningOf(ctx context.Context, sock string, want map[string]bool) (int, error) {
	conn, err := daemon.Dial(sock)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := runtime.NewRuntimeServiceClient(conn).ListContainers(ctx, &runtime.ListContainersRequest{})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range resp.Containers {
		if want[c.Id] && c.State == runtime.ContainerState_CONTAINER_RUNNING {
			n++
		}
	}
	return n, nil
}
