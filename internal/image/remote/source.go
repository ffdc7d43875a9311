package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// source is one endpoint connected for one repository: its scheme
// decided and its credentials exchanged. It is safe for concurrent use;
// ggcr's bearer transport renews the token when the registry asks.
type source struct {
	endpoint  string // scheme://host
	base      string // scheme://host/v2/REPO/
	userAgent string
	client    *http.Client
}

// connect pings ep and sets up authentication for repo.
func (r *Resolver) connect(ctx context.Context, ep endpoint, repo string, auth authn.Authenticator) (*source, error) {
	if ep.err != nil {
		return nil, ep.err
	}
	scheme, ch, err := r.probe(ctx, ep)
	if err != nil {
		return nil, err
	}
	rt, err := r.authorize(ctx, ep.host, scheme, repo, ch, auth)
	if err != nil {
		return nil, err
	}
	origin := scheme + "://" + ep.host
	return &source{
		endpoint:  origin,
		base:      origin + "/v2/" + repo + "/",
		userAgent: r.userAgent,
		client:    &http.Client{Transport: rt, CheckRedirect: checkRedirect},
	}, nil
}

// probe pings ep with its scheme or, when it has none, with https and
// then http: only if https failed below HTTP (a plain HTTP server, a TLS
// error), not if the port is closed or the server answered.
func (r *Resolver) probe(ctx context.Context, ep endpoint) (string, *transport.Challenge, error) {
	if ep.scheme != "" {
		ch, err := r.ping(ctx, ep.scheme, ep.host)
		return ep.scheme, ch, err
	}
	ch, err := r.ping(ctx, "https", ep.host)
	if err == nil {
		return "https", ch, nil
	}
	var se *statusError
	if ctx.Err() != nil || isDialError(err) || errors.As(err, &se) || errors.Is(err, ErrNoProgress) {
		return "", nil, err
	}
	ch, err2 := r.ping(ctx, "http", ep.host)
	if err2 != nil {
		return "", nil, fmt.Errorf("https: %v; http: %w", err, err2)
	}
	return "http", ch, nil
}

func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// ping asks GET /v2/ how to authenticate: a 200 needs nothing, a 401
// carries the challenge.
func (r *Resolver) ping(ctx context.Context, scheme, host string) (*transport.Challenge, error) {
	origin := scheme + "://" + host
	req, err := http.NewRequestWithContext(withLabel(ctx, "/v2/", origin), http.MethodGet, origin+"/v2/", http.NoBody)
	if err != nil {
		return nil, withClass(err, errdefs.ErrInvalidArgument)
	}
	req.Header.Set("User-Agent", r.userAgent)
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, netErr(err)
	}
	defer drain(resp.Body)
	ch := &transport.Challenge{Insecure: scheme == "http"}
	switch resp.StatusCode {
	case http.StatusOK:
		return ch, nil
	case http.StatusUnauthorized:
		ch.Scheme, ch.Parameters = pickChallenge(resp.Header.Values("WWW-Authenticate"))
		return ch, nil
	}
	err = responseErr(transport.CheckError(resp, http.StatusOK))
	if se, ok := err.(*statusError); ok && errors.Is(se.class, errdefs.ErrNotFound) {
		se.class = errdefs.ErrUnavailable // no registry API here
	}
	return nil, fmt.Errorf("GET /v2/: %w", err)
}

// drain reads a little of body so that its connection can be reused.
func drain(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	body.Close()
}

// authorize wraps the guard in ggcr's authenticating transport for the
// challenge: none, basic, or a bearer token (obtained here, renewed by
// ggcr on later 401s).
func (r *Resolver) authorize(ctx context.Context, host, scheme, repo string, ch *transport.Challenge, auth authn.Authenticator) (http.RoundTripper, error) {
	g := r.client.Transport
	if ch.Scheme == "" {
		return g, nil
	}
	opts := []name.Option{name.WeakValidation}
	if scheme == "http" {
		opts = append(opts, name.Insecure)
	}
	reg, err := name.NewRegistry(host, opts...)
	if err != nil {
		return nil, withClass(err, errdefs.ErrInvalidArgument)
	}
	if ch.Scheme != "bearer" {
		return fromToken(reg, auth, g, ch, &transport.Token{})
	}
	cfg, err := authn.Authorization(ctx, auth)
	if err != nil {
		return nil, withClass(err, errdefs.ErrInvalidArgument)
	}
	tok := &transport.Token{Token: cfg.RegistryToken}
	if tok.Token == "" {
		scopes := []string{reg.Repo(repo).Scope(transport.PullScope)}
		if tok, err = transport.Exchange(ctx, reg, auth, g, scopes, ch); err != nil {
			return nil, fmt.Errorf("get token: %w", netErr(err))
		}
		if tok.Token == "" {
			tok.Token = tok.AccessToken // OAuth2 servers answer access_token
		}
	}
	return fromToken(reg, auth, g, ch, tok)
}

func fromToken(reg name.Registry, auth authn.Authenticator, g http.RoundTripper, ch *transport.Challenge, tok *transport.Token) (http.RoundTripper, error) {
	rt, err := transport.FromToken(reg, auth, g, ch, tok)
	if err != nil {
		return nil, fmt.Errorf("auth challenge %s: %w", ch.Scheme, withClass(err, errdefs.ErrUnavailable))
	}
	return rt, nil
}

// pickChallenge parses WWW-Authenticate values and prefers Bearer, then
// Basic, then the first.
func pickChallenge(values []string) (string, map[string]string) {
	var scheme string
	var params map[string]string
	for i, v := range values {
		s, p := parseChallenge(v)
		if s == "bearer" {
			return s, p
		}
		if i == 0 || s == "basic" {
			scheme, params = s, p
		}
	}
	if scheme == "" {
		scheme = "basic" // a 401 without a usable challenge: try basic, as ggcr does
	}
	return scheme, params
}

// parseChallenge parses one challenge, `Bearer realm="…",service="…"`:
// the scheme in lower case and its parameters, keys in lower case.
func parseChallenge(h string) (string, map[string]string) {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	params := map[string]string{}
	rest = strings.TrimSpace(rest)
	for rest != "" {
		key, after, ok := strings.Cut(rest, "=")
		if !ok {
			break
		}
		var val string
		val, rest = paramValue(strings.TrimLeft(after, " \t"))
		params[strings.ToLower(strings.TrimSpace(key))] = val
		rest = strings.TrimLeft(rest, ", \t")
	}
	return strings.ToLower(scheme), params
}

// paramValue reads a token or a quoted string from the start of s and
// returns it and what follows.
func paramValue(s string) (string, string) {
	if !strings.HasPrefix(s, `"`) {
		end := strings.IndexByte(s, ',')
		if end < 0 {
			end = len(s)
		}
		return strings.TrimSpace(s[:end]), s[end:]
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == '"':
			return b.String(), s[i+1:]
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), ""
}

// get GETs kind ("manifests" or "blobs") ident and checks the status.
// what names the fetch in progress errors.
func (s *source) get(ctx context.Context, kind, ident, accept, what string) (*http.Response, error) {
	ctx = withLabel(ctx, what, s.endpoint)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+kind+"/"+ident, http.NoBody)
	if err != nil {
		return nil, withClass(err, errdefs.ErrInvalidArgument)
	}
	req.Header.Set("User-Agent", s.userAgent)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, netErr(err)
	}
	if err := transport.CheckError(resp, http.StatusOK); err != nil {
		resp.Body.Close()
		return nil, responseErr(err)
	}
	return resp, nil
}
