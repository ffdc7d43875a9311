package main

import (
	"log/slog"
	"net"

	"k8s.io/klog/v2"

	"github.com/skiffrt/skiff/internal/config"
	"github.com/skiffrt/skiff/streaming"
)

// startStreaming starts the server of exec, attach and port-forward; the
// channel gets Serve's result. The library's own messages (klog) go to
// logger.
func startStreaming(cfg config.Streaming, svc *services, logger *slog.Logger) (*streaming.Server, <-chan error, error) {
	logger = logger.With("component", "streaming")
	klog.SetSlogLogger(logger)
	s, err := streaming.New(streaming.Config{
		Addr: cfg.Address, TLSCertFile: cfg.TLSCertFile, TLSKeyFile: cfg.TLSKeyFile, Logger: logger,
	}, svc.containers, svc.sandboxes)
	if err != nil {
		return nil, nil, err
	}
	if host, _, _ := net.SplitHostPort(cfg.Address); cfg.TLSCertFile == "" && !isLoopback(host) {
		logger.Warn("the streaming server is reachable beyond this host without TLS: anyone who learns a URL in its minute may use it", "addr", cfg.Address)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	logger.Info("serving streams", "url", s.URL())
	return s, done, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
