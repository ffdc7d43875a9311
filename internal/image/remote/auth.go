package remote

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// credentials are the parsed Auth of one pull; nil means anonymous.
type credentials struct {
	cfg    authn.AuthConfig
	server string // canonical registry host of ServerAddress, or ""
}

// credentials checks a and decodes its base64 Auth field.
func (a *Auth) credentials() (*credentials, error) {
	if a == nil || *a == (Auth{ServerAddress: a.ServerAddress}) {
		return nil, nil
	}
	c := &credentials{cfg: authn.AuthConfig{
		Username:      a.Username,
		Password:      a.Password,
		IdentityToken: a.IdentityToken,
		RegistryToken: a.RegistryToken,
	}}
	if a.Auth != "" && a.Username == "" && a.Password == "" {
		user, pass, err := decodeAuth(a.Auth)
		if err != nil {
			return nil, err
		}
		c.cfg.Username, c.cfg.Password = user, pass
	}
	if a.ServerAddress != "" {
		c.server = serverHost(a.ServerAddress)
	}
	return c, nil
}

// decodeAuth splits base64 "user:password". The error does not echo the
// secret.
func decodeAuth(s string) (user, pass string, err error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return "", "", fmt.Errorf("auth field is not base64: %w", errdefs.ErrInvalidArgument)
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok || user == "" {
		return "", "", fmt.Errorf(`auth field is not base64 of "user:password": %w`, errdefs.ErrInvalidArgument)
	}
	return user, pass, nil
}

// serverHost is the canonical registry host of a ServerAddress such as
// "https://index.docker.io/v1/", "docker.io" or "127.0.0.1:5000".
func serverHost(addr string) string {
	if !strings.Contains(addr, "://") {
		addr = "//" + addr
	}
	if u, err := url.Parse(addr); err == nil && u.Host != "" {
		return canonicalRegistry(u.Host)
	}
	return canonicalRegistry(addr)
}

// forEndpoint returns the authenticator to use at endpoint host for an
// image of registry. Like containerd and cri-o, the pull's credentials go
// to the registry's mirrors too, unless ServerAddress names another host.
func (c *credentials) forEndpoint(registry, host string) authn.Authenticator {
	if c == nil {
		return authn.Anonymous
	}
	if c.server != "" && c.server != canonicalRegistry(registry) && c.server != canonicalRegistry(host) {
		return authn.Anonymous
	}
	return authn.FromConfig(c.cfg)
}
