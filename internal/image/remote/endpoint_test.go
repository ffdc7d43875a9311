package remote

import (
	"errors"
	"slices"
	"testing"

	"github.com/skiffrt/skiff/internal/errdefs"
)

func TestEndpoints(t *testing.T) {
	tests := []struct {
		name     string
		cfg      Config
		registry string
		want     []string // display names; "!" prefix: refused mirror
	}{
		{"docker hub", Config{}, "docker.io", []string{"https://registry-1.docker.io"}},
		{"docker hub mirrors in order", Config{Mirrors: mirrorsOf("http://127.0.0.1:5000", "https://mirror.example")},
			"docker.io", []string{"http://127.0.0.1:5000", "https://mirror.example", "https://registry-1.docker.io"}},
		{"mirrors keyed by a docker hub alias", Config{Mirrors: map[string][]string{"index.docker.io": {"https://m"}}},
			"docker.io", []string{"https://m", "https://registry-1.docker.io"}},
		{"mirrors of another registry", Config{Mirrors: mirrorsOf("https://m")}, "registry.k8s.io", []string{"https://registry.k8s.io"}},
		{"loopback registry: https then http", Config{}, "127.0.0.1:5000", []string{"127.0.0.1:5000"}},
		{"localhost registry", Config{}, "localhost:5000", []string{"localhost:5000"}},
		{"private registry: https only", Config{}, "192.168.1.10:5000", []string{"https://192.168.1.10:5000"}},
		{"insecure registry", Config{Insecure: []string{"reg.lan:5000"}}, "reg.lan:5000", []string{"reg.lan:5000"}},
		{"insecure host, any port", Config{Insecure: []string{"reg.lan"}}, "reg.lan:5000", []string{"reg.lan:5000"}},
		{"insecure port does not match", Config{Insecure: []string{"reg.lan:5001"}}, "reg.lan:5000", []string{"https://reg.lan:5000"}},
		{"insecure CIDR", Config{Insecure: []string{"10.0.0.0/8"}}, "10.1.2.3:5000", []string{"10.1.2.3:5000"}},
		{"plain http mirror refused", Config{Mirrors: mirrorsOf("http://10.1.2.3:5000")},
			"docker.io", []string{"!http://10.1.2.3:5000", "https://registry-1.docker.io"}},
		{"plain http mirror, insecure", Config{Mirrors: mirrorsOf("http://10.1.2.3:5000"), Insecure: []string{"10.1.2.3:5000"}},
			"docker.io", []string{"http://10.1.2.3:5000", "https://registry-1.docker.io"}},
		{"https mirror keeps its scheme on loopback", Config{Mirrors: mirrorsOf("https://127.0.0.1:5000/")},
			"docker.io", []string{"https://127.0.0.1:5000", "https://registry-1.docker.io"}},
		{"bare host mirror", Config{Mirrors: mirrorsOf("mirror.example:5000")},
			"docker.io", []string{"https://mirror.example:5000", "https://registry-1.docker.io"}},
		{"mirror with a path refused", Config{Mirrors: mirrorsOf("https://m/prefix")},
			"docker.io", []string{"!https://m/prefix", "https://registry-1.docker.io"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, ep := range New(tc.cfg).endpoints(tc.registry) {
				name := ep.display()
				if ep.err != nil {
					name = "!" + name
				}
				got = append(got, name)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("endpoints %q, want %q", got, tc.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"empty", Config{}, true},
		{"loopback http mirror", Config{Mirrors: mirrorsOf("http://127.0.0.1:5000")}, true},
		{"insecure http mirror", Config{Mirrors: mirrorsOf("http://reg.lan:5000"), Insecure: []string{"reg.lan:5000"}}, true},
		{"https mirror and CIDR", Config{Mirrors: mirrorsOf("https://m"), Insecure: []string{"10.0.0.0/8"}}, true},
		{"plain http mirror not insecure", Config{Mirrors: mirrorsOf("http://reg.lan:5000")}, false},
		{"bad scheme", Config{Mirrors: mirrorsOf("ftp://m")}, false},
		{"credentials in URL", Config{Mirrors: mirrorsOf("https://u:p@m")}, false},
		{"insecure entry with scheme", Config{Insecure: []string{"http://reg.lan"}}, false},
		{"registry key with a path", Config{Mirrors: map[string][]string{"docker.io/library": {"https://m"}}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, errdefs.ErrInvalidArgument)) {
				t.Errorf("Validate() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestParseChallenge(t *testing.T) {
	tests := []struct {
		header string
		scheme string
		params map[string]string
	}{
		{`Bearer realm="https://auth.docker.io/token",service="registry.docker.io"`, "bearer",
			map[string]string{"realm": "https://auth.docker.io/token", "service": "registry.docker.io"}},
		{`Bearer realm="https://r/t", service="s", scope="repository:a/b:pull,push"`, "bearer",
			map[string]string{"realm": "https://r/t", "service": "s", "scope": "repository:a/b:pull,push"}},
		{`Basic realm="x \"y\""`, "basic", map[string]string{"realm": `x "y"`}},
		{`basic Realm=plain`, "basic", map[string]string{"realm": "plain"}},
		{`Negotiate`, "negotiate", map[string]string{}},
		{`Bearer realm="unterminated`, "bearer", map[string]string{"realm": "unterminated"}},
	}
	for _, tc := range tests {
		t.Run(tc.header, func(t *testing.T) {
			scheme, params := parseChallenge(tc.header)
			if scheme != tc.scheme || len(params) != len(tc.params) {
				t.Fatalf("%q %v, want %q %v", scheme, params, tc.scheme, tc.params)
			}
			for k, v := range tc.params {
				if params[k] != v {
					t.Errorf("%s = %q, want %q", k, params[k], v)
				}
			}
		})
	}
	if s, _ := pickChallenge([]string{`Negotiate`, `Basic realm="r"`, `Bearer realm="b"`}); s != "bearer" {
		t.Errorf("picked %s, want bearer", s)
	}
	if s, _ := pickChallenge(nil); s != "basic" {
		t.Errorf("picked %s without challenges, want basic", s)
	}
}
