// Package pki creates and loads the cluster's certificates: a CA, the API
// server's serving certificate and client certificates (the admin's),
// kept as PEM files in one directory. Existing files are reused, so a
// restart keeps every credential valid.
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// validity of the certificates created here.
const (
	caValidity   = 10 * 365 * 24 * time.Hour
	certValidity = 365 * 24 * time.Hour
)

// CA is the cluster's certificate authority.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	// PEM is the certificate, as written to ca.crt.
	PEM []byte
}

// LoadOrCreateCA loads dir/ca.{crt,key}, creating them when absent.
func LoadOrCreateCA(dir string) (*CA, error) {
	certPath, keyPath := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")
	if _, err := os.Stat(certPath); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		tmpl := template("skiff-ca", nil, caValidity)
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
		if err != nil {
			return nil, err
		}
		if err := writePair(certPath, keyPath, der, key); err != nil {
			return nil, err
		}
	}
	pair, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return nil, fmt.Errorf("load CA: %w", err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, err
	}
	pemData, err := os.ReadFile(certPath)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: pair.PrivateKey.(crypto.Signer), PEM: pemData}, nil
}

// Pool returns a pool holding only the CA.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// Serving loads or creates dir/<name>.{crt,key}, a server certificate for
// hosts (DNS names and IPs). A certificate that lacks one of hosts is
// issued again.
func (ca *CA) Serving(dir, name string, hosts []string) (tls.Certificate, error) {
	return ca.hostCert(dir, name, hosts, x509.ExtKeyUsageServerAuth)
}

// Peer loads or creates dir/<name>.{crt,key}, a certificate for hosts
// that serves and also authenticates as a client: an etcd member's, for
// its peers.
func (ca *CA) Peer(dir, name string, hosts []string) (tls.Certificate, error) {
	return ca.hostCert(dir, name, hosts, x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth)
}

// hostCert loads or issues a certificate named for hosts, CommonName name.
func (ca *CA) hostCert(dir, name string, hosts []string, usage ...x509.ExtKeyUsage) (tls.Certificate, error) {
	tmpl := template(name, nil, certValidity)
	tmpl.ExtKeyUsage = usage
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return ca.loadOrIssue(dir, name, tmpl, func(c *x509.Certificate) bool {
		for _, h := range hosts {
			if c.VerifyHostname(h) != nil {
				return false
			}
		}
		return slices.Equal(c.ExtKeyUsage, usage)
	})
}

// Client loads or creates dir/<name>.{crt,key}, a client certificate for
// user in groups (CommonName and Organizations, as Kubernetes reads them).
// A certificate for another user or other groups is issued again.
func (ca *CA) Client(dir, name, user string, groups []string) (tls.Certificate, error) {
	tmpl := template(user, groups, certValidity)
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	return ca.loadOrIssue(dir, name, tmpl, func(c *x509.Certificate) bool {
		return c.Subject.CommonName == user && slices.Equal(c.Subject.Organization, groups)
	})
}

// SignClient issues a client certificate for pub, of user in groups,
// valid for a year; it returns the certificate's DER.
func (ca *CA) SignClient(pub crypto.PublicKey, user string, groups []string) ([]byte, error) {
	tmpl := template(user, groups, certValidity)
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	return x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, pub, ca.Key)
}

func (ca *CA) loadOrIssue(dir, name string, tmpl *x509.Certificate, fits func(*x509.Certificate) bool) (tls.Certificate, error) {
	certPath, keyPath := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if pair, err := tls.LoadX509KeyPair(certPath, keyPath); err == nil {
		c, err := x509.ParseCertificate(pair.Certificate[0])
		if err == nil && fits(c) && time.Now().Before(c.NotAfter) && c.CheckSignatureFrom(ca.Cert) == nil {
			return pair, nil
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("issue %s: %w", name, err)
	}
	if err := writePair(certPath, keyPath, der, key); err != nil {
		return tls.Certificate{}, err
	}
	return tls.LoadX509KeyPair(certPath, keyPath)
}

func template(cn string, orgs []string, validity time.Duration) *x509.Certificate {
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn, Organization: orgs},
		NotBefore:    now.Add(-time.Hour), NotAfter: now.Add(validity),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
}

// writePair writes a certificate and its key (0600) atomically.
func writePair(certPath, keyPath string, der []byte, key *ecdsa.PrivateKey) error {
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := writeFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	return writeFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// writeFile writes data to path through a temporary file and a rename.
func writeFile(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// PEM returns a TLS certificate and key as PEM blocks (for kubeconfigs).
func PEM(c tls.Certificate) (cert, key []byte, err error) {
	cert = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]})
	ek, ok := c.PrivateKey.(*ecdsa.PrivateKey)
	if !ok {
		return nil, nil, errors.New("not an ECDSA key")
	}
	der, err := x509.MarshalECPrivateKey(ek)
	if err != nil {
		return nil, nil, err
	}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

// WriteKubeconfig writes a kubeconfig (mode 0600) for server with the CA
// and a client certificate, as context "skiff".
func WriteKubeconfig(path, server string, ca *CA, client tls.Certificate) error {
	cert, key, err := PEM(client)
	if err != nil {
		return err
	}
	return WriteKubeconfigPEM(path, server, "admin", ca.PEM, cert, key)
}

// WriteKubeconfigPEM writes a kubeconfig (mode 0600) for server with the
// CA and a client certificate and key given as PEM, for user, as context
// "skiff".
func WriteKubeconfigPEM(path, server, user string, caPEM, cert, key []byte) error {
	b64 := base64.StdEncoding.EncodeToString
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: skiff
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: %s
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: skiff
  context:
    cluster: skiff
    user: %s
current-context: skiff
`, server, b64(caPEM), user, b64(cert), b64(key), user)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return writeFile(path, []byte(cfg), 0o600)
}
