package remote

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/distribution/reference"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/opencontainers/go-digest"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/version"
)

// Config configures a Resolver.
type Config struct {
	// Mirrors maps a registry host ("docker.io") to endpoint URLs
	// ("http://127.0.0.1:5000", "https://mirror.example"), tried in
	// order before the registry itself.
	Mirrors map[string][]string
	// Insecure lists HOST[:PORT] entries (or CIDRs) that may be reached
	// over plain HTTP and whose TLS certificates are not verified.
	Insecure []string
	// ProgressTimeout fails a request that waits this long for response
	// headers or for the next bytes of a body (0: no limit).
	ProgressTimeout time.Duration
	// UserAgent is sent with every request ("skiff/VERSION" if empty).
	UserAgent string
	// Platform picks the manifest of a multi-platform index; empty
	// fields default to linux, runtime.GOARCH and, for arm, its variant.
	Platform v1.Platform
}

// Auth is the CRI AuthConfig of a pull. At most one way of
// authenticating is used: RegistryToken (a bearer token), then
// IdentityToken (an OAuth2 refresh token), then Username and Password,
// then Auth (base64 "user:password").
type Auth struct {
	Username      string
	Password      string
	Auth          string
	ServerAddress string
	IdentityToken string
	RegistryToken string
}

// Image is a resolved image: what the reference points to, the manifest
// for the configured platform and its config, all verified.
type Image struct {
	Ref reference.Named
	// Endpoint is where the image was found, scheme://host.
	Endpoint string
	// Digest is the digest of what Ref points to: the index for a
	// multi-platform image. It is the repo digest.
	Digest digest.Digest
	// Manifest is the platform manifest, of type MediaType.
	Manifest       []byte
	ManifestDigest digest.Digest
	MediaType      string
	// Config is the raw config blob; ConfigDigest is the image ID.
	Config       []byte
	ConfigDigest digest.Digest
	Layers       []Layer

	src *source // the endpoint Image came from, for OpenLayer
}

// Layer is one layer of an Image, base first.
type Layer struct {
	Digest    digest.Digest // of the compressed blob
	Size      int64
	MediaType string
	DiffID    digest.Digest // of the uncompressed tar, from the config
}

// Resolver finds images on registries and their mirrors. It is safe for
// concurrent use; its connections are reused across calls until Close.
type Resolver struct {
	progress  time.Duration
	userAgent string
	platform  v1.Platform
	mirrors   map[string][]string // by normalized registry host
	insecure  hostSet

	configs configCache

	secure     *http.Transport // verified TLS
	unverified *http.Transport // for hosts in insecure
	client     *http.Client    // over guard, for pings
}

// New returns a Resolver for cfg. Invalid mirror URLs and insecure
// entries are not fatal here: a bad mirror fails when it is tried, a bad
// insecure entry matches nothing. Check them first with cfg.Validate.
func New(cfg Config) *Resolver {
	r := &Resolver{
		progress:  cfg.ProgressTimeout,
		userAgent: cfg.UserAgent,
		platform:  defaultPlatform(cfg.Platform),
		mirrors:   map[string][]string{},
		insecure:  newHostSet(cfg.Insecure),
	}
	if r.userAgent == "" {
		r.userAgent = version.Name + "/" + version.Version
	}
	for host, eps := range cfg.Mirrors {
		key := canonicalRegistry(host)
		r.mirrors[key] = append(r.mirrors[key], eps...)
	}
	r.secure = newHTTPTransport(false)
	r.unverified = newHTTPTransport(true)
	r.client = &http.Client{Transport: &guard{r: r}, CheckRedirect: checkRedirect}
	return r
}

// Close drops idle connections. The Resolver stays usable.
func (r *Resolver) Close() {
	r.secure.CloseIdleConnections()
	r.unverified.CloseIdleConnections()
}

// Resolve finds ref (a normalized reference: tagged, digested or both; the
// digest wins) on the first of its registry's endpoints that has it: the
// mirrors in order, then the registry itself. It falls over to the next
// endpoint on any failure of one; the error after all failed is a
// *ResolveError naming every endpoint and its reason.
func (r *Resolver) Resolve(ctx context.Context, ref reference.Named, auth *Auth) (*Image, error) {
	t, err := parseTarget(ref)
	if err != nil {
		return nil, err
	}
	creds, err := auth.credentials()
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", ref, err)
	}
	var attempts []Attempt
	for _, ep := range r.endpoints(t.registry) {
		img, where, err := r.resolveAt(ctx, ep, t, creds.forEndpoint(t.registry, ep.host))
		if err == nil {
			img.Ref = ref
			log.G(ctx).Debug("resolved image", "endpoint", img.Endpoint,
				"digest", img.Digest, "manifest", img.ManifestDigest)
			return img, nil
		}
		attempts = append(attempts, Attempt{Endpoint: where, Err: err})
		if ctx.Err() != nil {
			break
		}
		log.G(ctx).Info("registry endpoint failed", "endpoint", where, log.KeyError, err)
	}
	return nil, newResolveError(ref.String(), attempts, ctx.Err())
}

// target is what Resolve looks for.
type target struct {
	registry string        // reference.Domain
	repo     string        // reference.Path
	ident    string        // the manifest to ask for: digest or tag
	digest   digest.Digest // set when the reference has one
}

func parseTarget(ref reference.Named) (target, error) {
	t := target{registry: reference.Domain(ref), repo: reference.Path(ref)}
	if d, ok := ref.(reference.Digested); ok {
		t.digest = d.Digest()
		if err := t.digest.Validate(); err != nil {
			return target{}, fmt.Errorf("pull %s: %w: %w", ref, err, errdefs.ErrInvalidArgument)
		}
		t.ident = t.digest.String()
	} else if tg, ok := ref.(reference.Tagged); ok {
		t.ident = tg.Tag()
	} else {
		return target{}, fmt.Errorf("pull %s: reference has neither tag nor digest: %w", ref, errdefs.ErrInvalidArgument)
	}
	if t.registry == "" || t.repo == "" {
		return target{}, fmt.Errorf("pull %s: reference is not normalized: %w", ref, errdefs.ErrInvalidArgument)
	}
	return t, nil
}
