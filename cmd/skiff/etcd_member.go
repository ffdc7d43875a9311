package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/skiffrt/skiff/controlplane/etcd"
	"github.com/skiffrt/skiff/controlplane/pki"
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
	fs.StringVar(&c.InitialCluster, "initial-cluster", "", "members of a new cluster: name=http://host:port,… (peer URLs; https with peer TLS)")
	var peer etcd.TLS
	fs.StringVar(&peer.CertFile, "peer-cert-file", "", "certificate for peer TLS (server and client use)")
	fs.StringVar(&peer.KeyFile, "peer-key-file", "", "key of --peer-cert-file")
	fs.StringVar(&peer.TrustedCAFile, "peer-trusted-ca-file", "", "CA the peers' certificates must be signed by")
	fs.BoolVar(&peer.ClientCertAuth, "peer-client-cert-auth", false, "require peers' client certificates")
	pkiDir := fs.String("pki-dir", "", "the cluster's CA directory (skiff server's --pki-dir): peer TLS with a certificate it signs, kept there as etcd-peer-<name>, every peer's certificate required")
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
	if err := peerTLS(&c, peer, *pkiDir); err != nil {
		fmt.Fprintf(stderr, "skiff etcd: %v\n", err)
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

// peerTLS sets c's peer TLS from etcd's flags, or from the cluster CA in
// pkiDir: a certificate for the peer address, signed by the CA, and the
// CA required of every peer.
func peerTLS(c *etcd.Config, flags etcd.TLS, pkiDir string) error {
	switch {
	case pkiDir != "" && flags != (etcd.TLS{}):
		return errors.New("give --pki-dir or the --peer-* files, not both")
	case pkiDir != "":
		ca, err := pki.LoadOrCreateCA(pkiDir)
		if err != nil {
			return err
		}
		host, _, err := net.SplitHostPort(c.PeerAddr)
		if err != nil {
			return fmt.Errorf("--listen-peer: %w", err)
		}
		name := "etcd-peer-" + c.Name
		if _, err := ca.Peer(pkiDir, name, []string{host, "localhost"}); err != nil {
			return err
		}
		c.PeerTLS = &etcd.TLS{CertFile: filepath.Join(pkiDir, name+".crt"), KeyFile: filepath.Join(pkiDir, name+".key"),
			TrustedCAFile: filepath.Join(pkiDir, "ca.crt"), ClientCertAuth: true}
	case flags != (etcd.TLS{}):
		if flags.CertFile == "" || flags.KeyFile == "" {
			return errors.New("peer TLS needs --peer-cert-file and --peer-key-file")
		}
		c.PeerTLS = &flags
	}
	if c.PeerTLS != nil && strings.Contains(c.InitialCluster, "=http://") {
		return errors.New("with peer TLS, --initial-cluster names https:// peer URLs")
	}
	return nil
}
