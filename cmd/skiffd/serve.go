package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"google.golang.org/grpc"

	"github.com/skiffrt/skiff/internal/config"
	"github.com/skiffrt/skiff/internal/criu"
	"github.com/skiffrt/skiff/internal/health"
	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/metrics"
	"github.com/skiffrt/skiff/internal/socket"
	"github.com/skiffrt/skiff/internal/version"
	"github.com/skiffrt/skiff/server"
)

// serve runs the daemon until SIGTERM or SIGINT, then lets in-flight calls
// finish within cfg.ShutdownTimeout. It never touches running containers.
func serve(cfg config.Config, logOut io.Writer) error {
	logger, err := log.New(logOut, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	ctx = log.WithLogger(ctx, logger)
	slog.SetDefault(logger) // code without a context, such as the store, logs here too

	for _, dir := range []string{cfg.Root, cfg.RunRoot} {
		if err := os.MkdirAll(dir, 0o711); err != nil {
			return fmt.Errorf("create state directory: %w", err)
		}
	}

	reg := metrics.NewRegistry()
	svc, err := openServices(ctx, cfg, reg)
	if err != nil {
		return err
	}
	defer svc.close()

	streams, streamsDone, err := startStreaming(cfg.Streaming, svc, logger)
	if err != nil {
		return err
	}
	defer streams.Close()

	icpt := server.Interceptors{Logger: logger, Metrics: metrics.NewRPC(reg)}
	g := grpc.NewServer(grpc.ChainUnaryInterceptor(icpt.Unary), grpc.ChainStreamInterceptor(icpt.Stream))
	server.New(server.Options{
		Config:       cfg,
		RuntimeReady: health.Runtime(cfg.ShimPath, cfg.Root, cfg.RunRoot),
		NetworkReady: health.Network(svc.network.Status),
		Images:       meteredImages{svc.images, svc.metrics},
		Sandboxes:    svc.sandboxes,
		Containers:   svc.containers,
		Features:     server.Features{RecursiveReadOnlyMounts: svc.features.RecursiveReadOnly},
		PodCIDR:      svc.network,
		Stats:        svc.stats,
		Events:       svc.events,
		CRIU:         (&criu.Checker{Binary: cfg.CRIUPath}).Check,
		Streams:      streams,
	}).Register(g)

	ln, err := socket.Listen(cfg.Listen, 0o660)
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- g.Serve(ln) }()

	metricsDone := make(<-chan error)
	if cfg.MetricsAddr != "" {
		addr, done, err := metrics.Serve(ctx, cfg.MetricsAddr, reg)
		if err != nil {
			g.Stop()
			ln.Close()
			return fmt.Errorf("metrics: %w", err)
		}
		metricsDone = done
		logger.Info("serving metrics", "addr", addr.String())
	}
	logger.Info("skiffd ready", "version", version.Version, "listen", cfg.Listen, "root", cfg.Root, "run_root", cfg.RunRoot, "cgroup_manager", cfg.CgroupManager)
	notifyReady(logger)

	select {
	case <-ctx.Done():
		logger.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	case err := <-served:
		ln.Close()
		return fmt.Errorf("CRI server: %w", err)
	case err := <-metricsDone:
		g.Stop()
		ln.Close()
		return fmt.Errorf("metrics server: %w", err)
	case err := <-streamsDone:
		g.Stop()
		ln.Close()
		return fmt.Errorf("streaming server: %w", err)
	}
	stop() // A second signal now kills the process.
	shutdown(g, time.Duration(cfg.ShutdownTimeout), logger)
	ln.Close()
	logger.Info("skiffd stopped")
	return nil
}

// shutdown stops accepting calls and waits up to timeout for in-flight
// ones before cutting them off.
func shutdown(g *grpc.Server, timeout time.Duration, logger *slog.Logger) {
	done := make(chan struct{})
	go func() {
		g.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(timeout):
		logger.Warn("in-flight CRI calls did not finish in time; cutting them off", "timeout", timeout)
		g.Stop()
		<-done
	}
}
