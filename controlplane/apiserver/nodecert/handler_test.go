package nodecert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"testing"
)

func csrPEM(t *testing.T, cn string, orgs ...string) string {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn, Organization: orgs}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

func TestParseCSR(t *testing.T) {
	tests := []struct {
		name, csr, node string
	}{
		{"node", csrPEM(t, "system:node:n1", "system:nodes"), "n1"},
		{"admin", csrPEM(t, "skiff-admin", "system:masters"), ""},
		{"node and masters", csrPEM(t, "system:node:n1", "system:nodes", "system:masters"), ""},
		{"no group", csrPEM(t, "system:node:n1"), ""},
		{"bad node name", csrPEM(t, "system:node:N_1", "system:nodes"), ""},
		{"no name", csrPEM(t, "system:node:", "system:nodes"), ""},
		{"not PEM", "garbage", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, node, err := parseCSR(tc.csr)
			if node != tc.node || (err == nil) != (tc.node != "") {
				t.Errorf("node %q err %v, want %q", node, err, tc.node)
			}
		})
	}
}
