package etcd

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
)

// Config of an etcd member: the single member of `skiff server`, or a
// member of a cluster (`skiff etcd`).
type Config struct {
	// Name of the member ("skiff" when empty).
	Name string
	// Dir holds etcd's data (member/ below it).
	Dir string
	// ClientAddr and PeerAddr are host:port to listen on; port 0 picks
	// a free one. Both should be loopback.
	ClientAddr string
	PeerAddr   string
	// InitialCluster lists the members of a new cluster as
	// name=http://host:port,… (https with PeerTLS); empty for a single
	// member.
	InitialCluster string
	// PeerTLS, when set, makes members speak TLS to each other: each
	// presents its certificate (server and client use) and requires the
	// others' to be signed by the CA.
	PeerTLS *TLS
	// JoinExisting joins a running cluster instead of starting a new one.
	JoinExisting bool
	// LogLevel is etcd's own (zap) level: debug, info, warn, error.
	LogLevel string
}

// TLS are the files of a member's TLS, as etcd's flags name them.
type TLS struct {
	CertFile, KeyFile, TrustedCAFile string
	// ClientCertAuth requires the other side's certificate.
	ClientCertAuth bool
}

// readyTimeout bounds the wait for a member to serve.
const readyTimeout = time.Minute

// Server is a running embedded etcd.
type Server struct {
	etcd *embed.Etcd
}

// Start starts etcd and waits until it serves, or ctx ends.
func Start(ctx context.Context, c Config) (*Server, error) {
	cfg := embed.NewConfig()
	cfg.Name = c.Name
	if cfg.Name == "" {
		cfg.Name = "skiff"
	}
	cfg.Dir = c.Dir
	cfg.LogLevel = c.LogLevel
	cu, pu := url.URL{Scheme: "http", Host: c.ClientAddr}, url.URL{Scheme: "http", Host: c.PeerAddr}
	if t := c.PeerTLS; t != nil {
		pu.Scheme = "https"
		cfg.PeerTLSInfo = transport.TLSInfo{CertFile: t.CertFile, KeyFile: t.KeyFile, TrustedCAFile: t.TrustedCAFile,
			ClientCertAuth: t.ClientCertAuth}
	}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{cu}, []url.URL{cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{pu}, []url.URL{pu}
	cfg.InitialCluster = c.InitialCluster
	if cfg.InitialCluster == "" {
		cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	}
	cfg.InitialClusterToken = "skiff"
	if c.JoinExisting {
		cfg.ClusterState = embed.ClusterStateFlagExisting
	}
	// Bookmarks for API watchers come from etcd's progress notifications.
	cfg.WatchProgressNotifyInterval = time.Minute
	// Objects are at most 3 MiB, as kube-apiserver's limit; leave room
	// for the Txn around them.
	cfg.MaxRequestBytes = 4 << 20
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("start etcd: %w", err)
	}
	// A cluster member is ready once a quorum of members is up.
	select {
	case <-e.Server.ReadyNotify():
		return &Server{etcd: e}, nil
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("etcd: %w", err)
	case <-ctx.Done():
		e.Close()
		return nil, fmt.Errorf("etcd not ready: %w", ctx.Err())
	case <-time.After(readyTimeout):
		e.Close()
		return nil, errors.New("etcd not ready after a minute")
	}
}

// Endpoint is the client URL etcd listens on (with the real port).
func (s *Server) Endpoint() string {
	return "http://" + s.etcd.Clients[0].Addr().String()
}

// Client returns a new client of this etcd; the caller closes it.
func (s *Server) Client() (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{
		Endpoints:   []string{s.Endpoint()},
		DialTimeout: 5 * time.Second,
		Logger:      s.etcd.GetLogger().Named("client"),
	})
}

// Err reports a failure of the running member.
func (s *Server) Err() <-chan error { return s.etcd.Err() }

// Close stops etcd and waits for it.
func (s *Server) Close() { s.etcd.Close() }
