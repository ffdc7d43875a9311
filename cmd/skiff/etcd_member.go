package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os/signal"
	"syscall"

	"github.com/skiffrt/skiff/controlplane/etcd"
)

// runEtcd is `skiff etcd`: one member of an etcd cluster, from the same
// embed code as the server's own, for `skiff server --etcd-servers`.
func runEtcd(args []string, stdout, stderr io.Writer) int {
	var c etcd.Config
	var logLevel slog.Level
	fs := flag.NewFlagSet("skiff etcd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Name, "name", "", "member name (required)")
	fs.StringVar(&c.Dir, "data-dir", "/var/lib/skiff/etcd", "directory of the member's data")
	fs.StringVar(&c.ClientAddr, "listen-client", "127.0.0.1:2379", "host:port of the client URL (also advertised)")
	fs.StringVar(&c.PeerAddr, "listen-peer", "127.0.0.1:2380", "host:port of the peer URL (also advertised)")
	fs.StringVar(&c.InitialCluster, "initial-cluster", "", "members of a new cluster: name=http://host:port,… (peer URLs)")
	fs.BoolVar(&c.JoinExisting, "join", false, "join an existing cluster instead of creating one")
	fs.TextVar(&logLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if c.Name == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "skiff etcd: --name is required and takes no arguments")
		return 2
	}
	c.LogLevel = map[slog.Level]string{slog.LevelDebug: "debug", slog.LevelInfo: "info", slog.LevelWarn: "warn"}[logLevel]
	if c.LogLevel == "" {
		c.LogLevel = "error"
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	e, err := etcd.Start(ctx, c)
	if err != nil {
		fmt.Fprintf(stderr, "skiff etcd: %v\n", err)
		return 1
	}
	defer e.Close()
	fmt.Fprintf(stdout, "etcd member %s serving %s\n", c.Name, e.Endpoint())
	select {
	case <-ctx.Done():
		return 0
	case err := <-e.Err():
		fmt.Fprintf(stderr, "skiff etcd: %v\n", err)
		return 1
	}
}
