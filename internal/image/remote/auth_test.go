package remote

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/skiffrt/skiff/internal/errdefs"
)

func TestAuth(t *testing.T) {
	reg := startRegistry(t, busyboxRef)
	basic := front(t, reg.Addr(), basicAuth("alice", "s3cret"), frontOpts{})
	b64 := base64.StdEncoding.EncodeToString([]byte("alice:s3cret"))
	tests := []struct {
		name  string
		token bool // bearer token flow, else basic
		auth  *Auth
		class error // nil for success
	}{
		{"basic: username and password", false, &Auth{Username: "alice", Password: "s3cret"}, nil},
		{"basic: auth field", false, &Auth{Auth: b64}, nil},
		{"basic: server address of the registry", false, &Auth{Auth: b64, ServerAddress: "https://index.docker.io/v1/"}, nil},
		{"basic: server address of the mirror", false, &Auth{Auth: b64, ServerAddress: hostOf(basic)}, nil},
		{"basic: server address of another registry", false, &Auth{Auth: b64, ServerAddress: "quay.io"}, errdefs.ErrUnauthenticated},
		{"basic: wrong password", false, &Auth{Username: "alice", Password: "nope"}, errdefs.ErrUnauthenticated},
		{"basic: anonymous", false, nil, errdefs.ErrUnauthenticated},
		{"bearer: username and password", true, &Auth{Username: "alice", Password: "s3cret"}, nil},
		{"bearer: auth field", true, &Auth{Auth: b64}, nil},
		{"bearer: identity token", true, &Auth{IdentityToken: "refresh-me"}, nil},
		{"bearer: registry token", true, &Auth{RegistryToken: "static-token"}, nil},
		{"bearer: wrong password", true, &Auth{Username: "alice", Password: "nope"}, errdefs.ErrUnauthenticated},
		{"bearer: wrong identity token", true, &Auth{IdentityToken: "stale"}, errdefs.ErrUnauthenticated},
		{"bearer: wrong registry token", true, &Auth{RegistryToken: "forged"}, errdefs.ErrUnauthenticated},
		{"bearer: anonymous", true, nil, errdefs.ErrUnauthenticated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mirror := hostOf(basic)
			bs := &bearerServer{user: "alice", pass: "s3cret", refresh: "refresh-me", static: "static-token"}
			if tc.token {
				mirror = hostOf(front(t, reg.Addr(), bs.wrap, frontOpts{}))
			}
			r, _ := newResolver(t, Config{Mirrors: mirrorsOf("http://" + mirror)}, hubClosed(t))
			ctx := context.Background()
			img, err := r.Resolve(ctx, mustRef(t, busyboxRef), tc.auth)
			if tc.class != nil {
				if !errors.Is(err, tc.class) {
					t.Fatalf("error %v, want class %v", err, tc.class)
				}
				t.Log(err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := readLayer(ctx, r, img, img.Layers[0]); err != nil {
				t.Fatalf("layer: %v", err)
			}
			if tc.token && tc.auth.RegistryToken == "" && !slices.Contains(bs.scopes, "repository:library/busybox:pull") {
				t.Errorf("token scopes %q lack the repository's pull scope", bs.scopes)
			}
		})
	}
}

// TestBearerRenewal: a token that expires between Resolve and OpenLayer
// is renewed with the pull's credentials.
func TestBearerRenewal(t *testing.T) {
	reg := startRegistry(t, busyboxRef)
	for _, auth := range []*Auth{{Username: "alice", Password: "s3cret"}, {IdentityToken: "refresh-me"}} {
		bs := &bearerServer{user: "alice", pass: "s3cret", refresh: "refresh-me"}
		mirror := front(t, reg.Addr(), bs.wrap, frontOpts{})
		r, _ := newResolver(t, Config{Mirrors: mirrorsOf("http://" + hostOf(mirror))}, hubClosed(t))
		ctx := context.Background()
		img, err := r.Resolve(ctx, mustRef(t, busyboxRef), auth)
		if err != nil {
			t.Fatal(err)
		}
		bs.expire()
		if _, err := readLayer(ctx, r, img, img.Layers[0]); err != nil {
			t.Fatalf("layer after expiry: %v", err)
		}
		if bs.issued != 2 {
			t.Errorf("%d tokens issued, want 2", bs.issued)
		}
	}
}

func TestCredentials(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString([]byte("bob:pa:ss"))
	tests := []struct {
		name     string
		auth     *Auth
		registry string
		host     string
		want     authn.AuthConfig // zero: anonymous
		err      error
	}{
		{"nil", nil, "docker.io", dockerHubAPI, authn.AuthConfig{}, nil},
		{"empty with server address", &Auth{ServerAddress: "docker.io"}, "docker.io", dockerHubAPI, authn.AuthConfig{}, nil},
		{"password", &Auth{Username: "bob", Password: "pw"}, "docker.io", dockerHubAPI, authn.AuthConfig{Username: "bob", Password: "pw"}, nil},
		{"auth field, colon in password", &Auth{Auth: b64}, "docker.io", dockerHubAPI, authn.AuthConfig{Username: "bob", Password: "pa:ss"}, nil},
		{"auth field not base64", &Auth{Auth: "!!"}, "docker.io", dockerHubAPI, authn.AuthConfig{}, errdefs.ErrInvalidArgument},
		{"auth field without colon", &Auth{Auth: base64.StdEncoding.EncodeToString([]byte("bob"))}, "docker.io", dockerHubAPI, authn.AuthConfig{}, errdefs.ErrInvalidArgument},
		{"identity token", &Auth{IdentityToken: "it"}, "gcr.io", "gcr.io", authn.AuthConfig{IdentityToken: "it"}, nil},
		{"registry token", &Auth{RegistryToken: "rt"}, "gcr.io", "gcr.io", authn.AuthConfig{RegistryToken: "rt"}, nil},
		{"docker hub server address", &Auth{Username: "bob", Password: "pw", ServerAddress: "https://index.docker.io/v1/"},
			"docker.io", dockerHubAPI, authn.AuthConfig{Username: "bob", Password: "pw"}, nil},
		{"server address sent to a mirror", &Auth{Username: "bob", Password: "pw", ServerAddress: "docker.io"},
			"docker.io", "127.0.0.1:5000", authn.AuthConfig{Username: "bob", Password: "pw"}, nil},
		{"server address of the mirror", &Auth{Username: "bob", Password: "pw", ServerAddress: "http://mirror:5000"},
			"docker.io", "mirror:5000", authn.AuthConfig{Username: "bob", Password: "pw"}, nil},
		{"server address of another registry", &Auth{Username: "bob", Password: "pw", ServerAddress: "quay.io"},
			"docker.io", dockerHubAPI, authn.AuthConfig{}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.auth.credentials()
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			a := c.forEndpoint(tc.registry, tc.host)
			got, err := authn.Authorization(context.Background(), a)
			if err != nil {
				t.Fatal(err)
			}
			if *got != tc.want {
				t.Errorf("credentials %+v, want %+v", *got, tc.want)
			}
		})
	}
}
