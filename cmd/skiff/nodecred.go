package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/skiffrt/skiff/controlplane/apiserver/auth"
	"github.com/skiffrt/skiff/controlplane/apiserver/nodecert"
	"github.com/skiffrt/skiff/controlplane/pki"
)

// nodeJoin is how a node agent on another machine gets its credential.
type nodeJoin struct {
	// Server is the API server's URL, Token a bootstrap token (`skiff
	// server token create`), CAFile the cluster CA.
	Server, Token, CAFile string
	// Kubeconfig keeps the node's credential once issued.
	Kubeconfig string
	// Node is the node's name.
	Node string
}

// nodeClientConfig is a node agent's client configuration: the node
// credential kept in j.Kubeconfig while its certificate is valid for
// j.Node, else a new one bought with the bootstrap token (see
// controlplane/apiserver/nodecert) and kept there.
func nodeClientConfig(ctx context.Context, j nodeJoin) (*rest.Config, error) {
	if validNodeKubeconfig(j.Kubeconfig, j.Node, time.Now()) {
		return clientcmd.BuildConfigFromFlags("", j.Kubeconfig)
	}
	if j.Server == "" || j.Token == "" || j.CAFile == "" {
		return nil, fmt.Errorf("no valid node credential in %s: need --server, --token and --certificate-authority to join", j.Kubeconfig)
	}
	caPEM, err := os.ReadFile(j.CAFile)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("%s holds no certificate", j.CAFile)
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
	}}
	cred, err := nodecert.Fetch(ctx, client, j.Server, j.Token, j.Node)
	if err != nil {
		return nil, err
	}
	if err := pki.WriteKubeconfigPEM(j.Kubeconfig, j.Server, auth.NodeUserPrefix+j.Node, caPEM, cred.Cert, cred.Key); err != nil {
		return nil, err
	}
	return clientcmd.BuildConfigFromFlags("", j.Kubeconfig)
}

// validNodeKubeconfig reports whether the kubeconfig at path holds a
// client certificate of node that is valid at now.
func validNodeKubeconfig(path, node string, now time.Time) bool {
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		return false
	}
	pair, err := tls.X509KeyPair(cfg.CertData, cfg.KeyData)
	if err != nil {
		return false
	}
	c, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return false
	}
	u := &auth.User{Name: c.Subject.CommonName, Groups: c.Subject.Organization}
	name, ok := auth.NodeName(u)
	return ok && name == node && now.After(c.NotBefore) && now.Before(c.NotAfter)
}
