package remote

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// TestSchemeRules: plain HTTP only to loopback and insecure hosts, TLS
// verified unless insecure, mirror schemes honoured, and skiff's rule
// winning over ggcr's (which would use http for RFC 1918 addresses).
// 10.1.2.3 and registry-1.docker.io are played by loopback servers.
func TestSchemeRules(t *testing.T) {
	reg := startRegistry(t, busyboxRef)
	tlsFront := front(t, reg.Addr(), nil, frontOpts{tls: true})
	plain, tlsAddr := reg.Addr(), hostOf(tlsFront)
	const private = "10.1.2.3:5000"
	tests := []struct {
		name     string
		cfg      Config
		ref      string
		hosts    map[string]string
		want     string // endpoint, or "" for an error
		errHas   string
		noDialTo string
	}{
		{name: "http mirror on loopback", cfg: Config{Mirrors: mirrorsOf("http://" + plain)}, want: "http://" + plain},
		{name: "loopback registry by name: https, then http", ref: plain + "/library/busybox:latest", want: "http://" + plain},
		{
			name: "https mirror with an unknown certificate", cfg: Config{Mirrors: mirrorsOf("https://" + tlsAddr)},
			errHas: "certificate signed by unknown authority at https://" + tlsAddr,
		},
		{
			name: "https mirror with an unknown certificate, insecure",
			cfg:  Config{Mirrors: mirrorsOf("https://" + tlsAddr), Insecure: []string{tlsAddr}}, want: "https://" + tlsAddr,
		},
		{
			name: "https mirror is not downgraded to http", cfg: Config{Mirrors: mirrorsOf("https://" + plain)},
			errHas: "server gave HTTP response to HTTPS client at https://" + plain,
		},
		{
			name: "http mirror on a private address is refused", cfg: Config{Mirrors: mirrorsOf("http://" + private)},
			hosts: map[string]string{private: plain}, errHas: "plain HTTP is allowed only", noDialTo: private,
		},
		{
			name:  "http mirror on a private address, insecure",
			cfg:   Config{Mirrors: mirrorsOf("http://" + private), Insecure: []string{"10.1.2.0/24"}},
			hosts: map[string]string{private: plain}, want: "http://" + private,
		},
		{
			name: "private registry by name is https only", ref: private + "/library/busybox:latest",
			hosts: map[string]string{private: plain}, errHas: "server gave HTTP response to HTTPS client at https://" + private,
		},
		{
			name: "private registry by name, insecure: https, then http", ref: private + "/library/busybox:latest",
			cfg: Config{Insecure: []string{private}}, hosts: map[string]string{private: plain}, want: "http://" + private,
		},
		{
			name: "docker.io is registry-1.docker.io, insecure TLS", cfg: Config{Insecure: []string{dockerHubAPI}},
			hosts: map[string]string{dockerHubAPI + ":443": tlsAddr}, want: "https://" + dockerHubAPI,
		},
		{
			name: "docker.io is verified TLS", hosts: map[string]string{dockerHubAPI + ":443": tlsAddr},
			errHas: "not registry-1.docker.io at https://registry-1.docker.io",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ref := tc.ref
			if ref == "" {
				ref = busyboxRef
			}
			hosts := tc.hosts
			if hosts == nil {
				hosts = hubClosed(t)
			}
			r, dials := newResolver(t, tc.cfg, hosts)
			img, err := r.Resolve(context.Background(), mustRef(t, ref), nil)
			if tc.want != "" {
				if err != nil {
					t.Fatal(err)
				}
				if img.Endpoint != tc.want {
					t.Errorf("endpoint %s, want %s", img.Endpoint, tc.want)
				}
				if _, err := readLayer(context.Background(), r, img, img.Layers[0]); err != nil {
					t.Errorf("layer: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Fatalf("error %v, want %q", err, tc.errHas)
			}
			if !errors.Is(err, errdefs.ErrUnavailable) {
				t.Errorf("error class: %v", err)
			}
			if tc.noDialTo != "" && dials.has(tc.noDialTo) {
				t.Errorf("dialed %s", tc.noDialTo)
			}
		})
	}
}

// TestGuard checks the rule on requests ggcr makes by itself (token
// servers, redirects): plain HTTP to other hosts is refused undialed.
func TestGuard(t *testing.T) {
	down := closedAddr(t)
	tests := []struct {
		url      string
		insecure []string
		refused  bool
	}{
		{"http://10.0.0.1/token", nil, true},
		{"http://auth.example.com/token", nil, true},
		{"http://auth.example.com/token", []string{"auth.example.com"}, false},
		{"http://" + down + "/token", nil, false},
		{"http://localhost:1/token", nil, false},
		{"http://[::1]:1/token", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			r, dials := newResolver(t, Config{Insecure: tc.insecure}, nil)
			req, _ := http.NewRequest(http.MethodGet, tc.url, http.NoBody)
			resp, err := r.client.Do(req)
			if err == nil {
				resp.Body.Close()
				t.Fatal("request succeeded")
			}
			if refused := errors.Is(err, ErrPlainHTTP); refused != tc.refused {
				t.Fatalf("error %v, refused %v, want %v", err, refused, tc.refused)
			}
			if tc.refused && len(dials.addrs) > 0 {
				t.Errorf("refused request dialed %v", dials.addrs)
			}
			if tc.refused && !errors.Is(err, errdefs.ErrFailedPrecondition) {
				t.Errorf("class of %v", err)
			}
		})
	}
}

func TestCheckRedirect(t *testing.T) {
	tests := []struct {
		from, to string
		ok       bool
	}{
		{"https://registry.example/v2/x/blobs/sha256:1", "https://cdn.example/blob", true},
		{"https://registry.example/v2/", "https://registry.example/v2/other", true},
		{"https://registry.example/v2/", "http://169.254.169.254/latest/meta-data", false},
		{"https://registry.example/v2/", "https://10.0.0.5/blob", false},
		{"https://registry.example/v2/", "https://[::1]:5000/blob", false},
		{"https://registry.example/v2/", "https://[fe80::1]/blob", false},
		{"http://127.0.0.1:5000/v2/", "http://127.0.0.1:6000/blob", true},
		{"https://10.0.0.4/v2/", "https://10.0.0.5/blob", true},
	}
	for _, tc := range tests {
		t.Run(tc.from+" to "+tc.to, func(t *testing.T) {
			via, _ := http.NewRequest(http.MethodGet, tc.from, http.NoBody)
			req, _ := http.NewRequest(http.MethodGet, tc.to, http.NoBody)
			err := checkRedirect(req, []*http.Request{via})
			if (err == nil) != tc.ok {
				t.Errorf("checkRedirect = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
