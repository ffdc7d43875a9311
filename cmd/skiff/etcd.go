package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/skiffrt/skiff/controlplane/etcd"
)

// etcdFlags select the store: an external cluster when servers is set,
// else an embedded member.
type etcdFlags struct {
	servers                   string
	caFile, certFile, keyFile string
}

// connectEtcd returns a client of the external cluster, or starts the
// embedded member and returns a client of it. failed reports the death of
// an embedded member (never, for an external cluster); stop closes
// everything.
func connectEtcd(ctx context.Context, f *serverFlags) (client *clientv3.Client, failed <-chan error, stop func(), err error) {
	if f.etcd.servers != "" {
		client, err = externalEtcd(ctx, &f.etcd)
		if err != nil {
			return nil, nil, nil, err
		}
		return client, nil, func() { client.Close() }, nil
	}
	level := "warn"
	if f.logLevel <= slog.LevelDebug {
		level = "info"
	}
	e, err := etcd.Start(ctx, etcd.Config{Dir: f.etcdDir, ClientAddr: f.etcdClient, PeerAddr: f.etcdPeer, LogLevel: level})
	if err != nil {
		return nil, nil, nil, err
	}
	client, err = e.Client()
	if err != nil {
		e.Close()
		return nil, nil, nil, err
	}
	slog.Info("embedded etcd ready", "endpoint", e.Endpoint(), "dir", f.etcdDir)
	return client, e.Err(), func() { client.Close(); e.Close() }, nil
}

// externalEtcd connects to --etcd-servers, with TLS when the flags give
// a CA or a client certificate, and checks that it answers.
func externalEtcd(ctx context.Context, f *etcdFlags) (*clientv3.Client, error) {
	cfg := clientv3.Config{Endpoints: strings.Split(f.servers, ","), DialTimeout: 5 * time.Second}
	if f.caFile != "" || f.certFile != "" {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if f.caFile != "" {
			pem, err := os.ReadFile(f.caFile)
			if err != nil {
				return nil, err
			}
			tc.RootCAs = x509.NewCertPool()
			if !tc.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("%s holds no certificate", f.caFile)
			}
		}
		if f.certFile != "" {
			pair, err := tls.LoadX509KeyPair(f.certFile, f.keyFile)
			if err != nil {
				return nil, err
			}
			tc.Certificates = []tls.Certificate{pair}
		}
		cfg.TLS = tc
	}
	client, err := clientv3.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("etcd %s: %w", f.servers, err)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := client.Get(cctx, "/registry/health", clientv3.WithCountOnly()); err != nil {
		client.Close()
		return nil, fmt.Errorf("etcd %s does not answer: %w", f.servers, err)
	}
	slog.Info("external etcd ready", "servers", f.servers)
	return client, nil
}
