package main

import (
	"log/slog"
	"net"
	"os"

	"github.com/skiffrt/skiff/internal/log"
)

// notifyReady tells systemd, when it started us as a Type=notify service,
// that skiffd is serving (sd_notify(3) READY=1).
func notifyReady(logger *slog.Logger) {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return
	}
	if path[0] == '@' { // abstract socket
		path = "\x00" + path[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		logger.Warn("sd_notify", log.KeyError, err)
		return
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("READY=1")); err != nil {
		logger.Warn("sd_notify", log.KeyError, err)
	}
}
