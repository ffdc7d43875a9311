package main

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/skiffrt/skiff/controlplane/apiserver/nodecert"
	"github.com/skiffrt/skiff/controlplane/pki"
)

// TestNodeClientConfig: a token buys a certificate once; later calls
// reuse it without the server, and a credential of another node is not
// reused.
func TestNodeClientConfig(t *testing.T) {
	dir := t.TempDir()
	ca, err := pki.LoadOrCreateCA(filepath.Join(dir, "pki"))
	if err != nil {
		t.Fatal(err)
	}
	serving, err := ca.Serving(filepath.Join(dir, "pki"), "apiserver", []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	h := &nodecert.Handler{Signer: ca, CAPEM: ca.PEM}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if r.Header.Get("Authorization") != "Bearer abcdef.0123456789abcdef" {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{serving}}
	srv.StartTLS()
	defer srv.Close()

	ctx := context.Background()
	j := nodeJoin{Server: srv.URL, Token: "abcdef.0123456789abcdef", CAFile: filepath.Join(dir, "pki", "ca.crt"),
		Kubeconfig: filepath.Join(dir, "agent", "node.kubeconfig"), Node: "n1"}
	cfg, err := nodeClientConfig(ctx, j)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != srv.URL || len(cfg.CertData) == 0 || calls != 1 {
		t.Fatalf("config %+v after %d calls", cfg.Host, calls)
	}
	if !validNodeKubeconfig(j.Kubeconfig, "n1", time.Now()) || validNodeKubeconfig(j.Kubeconfig, "n2", time.Now()) ||
		validNodeKubeconfig(j.Kubeconfig, "n1", time.Now().Add(2*365*24*time.Hour)) {
		t.Error("validNodeKubeconfig")
	}
	reuse := j
	reuse.Server, reuse.Token = "", ""
	if _, err := nodeClientConfig(ctx, reuse); err != nil || calls != 1 {
		t.Fatalf("reuse: %v after %d calls", err, calls)
	}
	other := reuse
	other.Node = "n2"
	if _, err := nodeClientConfig(ctx, other); err == nil {
		t.Fatal("n1's credential used for n2")
	}
	bad := j
	bad.Node, bad.Token = "n3", "abcdef.ffffffffffffffff"
	if _, err := nodeClientConfig(ctx, bad); err == nil {
		t.Fatal("a bad token got a credential")
	}
}
