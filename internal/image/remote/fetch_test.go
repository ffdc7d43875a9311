package remote

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// TestHostileRegistry serves manifests a registry should not: too large,
// schema 1, or naming a huge config. Nothing large is read or fetched.
func TestHostileRegistry(t *testing.T) {
	const cfgDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	big := `{"schemaVersion":2,"mediaType":"` + ocispec.MediaTypeImageManifest + `","pad":"` + strings.Repeat("x", maxManifestSize) + `"}`
	hugeConfig := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":%q,"digest":%q,"size":%d},"layers":[]}`,
		ocispec.MediaTypeImageManifest, ocispec.MediaTypeImageConfig, cfgDigest, maxConfigSize+1)
	artifact := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":"application/vnd.cncf.helm.config.v1+json","digest":%q,"size":2},"layers":[]}`,
		ocispec.MediaTypeImageManifest, cfgDigest)
	manifests := map[string]struct {
		body    string
		chunked bool
	}{
		"big":         {big, false},
		"bigchunked":  {big, true},
		"schema1":     {`{"schemaVersion":1,"name":"x","tag":"1","fsLayers":[]}`, false},
		"hugeconfig":  {hugeConfig, false},
		"artifact":    {artifact, false},
		"notjson":     {`<html>`, false},
		"unknowntype": {`{"schemaVersion":2,"mediaType":"application/x-foo"}`, false},
	}
	var blobs atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/blobs/") {
			blobs.Add(1)
		}
		m, ok := manifests[strings.TrimPrefix(r.URL.Path, "/v2/test/manifests/")]
		switch {
		case r.URL.Path == "/v2/":
		case ok:
			w.Header().Set("Content-Type", ocispec.MediaTypeImageManifest)
			if m.chunked {
				w.(http.Flusher).Flush()
			} else {
				w.Header().Set("Content-Length", strconv.Itoa(len(m.body)))
			}
			_, _ = w.Write([]byte(m.body))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	tests := []struct {
		tag     string
		class   error
		message string
	}{
		{"big", errdefs.ErrResourceExhausted, fmt.Sprintf("manifest big is %d bytes, more than the limit of %d", len(big), maxManifestSize)},
		{"bigchunked", errdefs.ErrResourceExhausted, "manifest bigchunked is 4194305 bytes, more than the limit"},
		{"schema1", errdefs.ErrNotImplemented, "schema 1 is not supported"},
		{"hugeconfig", errdefs.ErrResourceExhausted, "config " + cfgDigest + " is 8388609 bytes"},
		{"artifact", errdefs.ErrInvalidArgument, "not a container image"},
		{"notjson", errdefs.ErrInvalidArgument, "malformed manifest"},
		{"unknowntype", errdefs.ErrInvalidArgument, `unsupported manifest type "application/x-foo"`},
	}
	r, _ := newResolver(t, Config{}, nil)
	for _, tc := range tests {
		t.Run(tc.tag, func(t *testing.T) {
			_, err := r.Resolve(context.Background(), mustRef(t, hostOf(srv)+"/test:"+tc.tag), nil)
			var re *ResolveError
			if !errors.As(err, &re) || len(re.Attempts) != 1 {
				t.Fatalf("error %v, want one attempt", err)
			}
			if a := re.Attempts[0].Err; !errors.Is(a, tc.class) || !strings.Contains(a.Error(), tc.message) {
				t.Fatalf("error %v, want %v with %q", a, tc.class, tc.message)
			}
		})
	}
	if n := blobs.Load(); n != 0 {
		t.Errorf("%d blob requests", n)
	}
}

func TestManifestType(t *testing.T) {
	tests := []struct {
		name, contentType, body, want string
	}{
		{"mediaType field wins", "application/json", `{"mediaType":"` + dockerManifest + `","config":{}}`, dockerManifest},
		{"content type", dockerManifestList + "; charset=utf-8", `{"manifests":[]}`, dockerManifestList},
		{"OCI index by shape", "application/json", `{"schemaVersion":2,"manifests":[]}`, ocispec.MediaTypeImageIndex},
		{"OCI manifest by shape", "text/plain", `{"schemaVersion":2,"config":{},"layers":[]}`, ocispec.MediaTypeImageManifest},
		{"nothing to go by", "", `{"schemaVersion":2}`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := manifestType(tc.contentType, []byte(tc.body))
			if got != tc.want || (err == nil) != (tc.want != "") {
				t.Errorf("manifestType = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestMatchPlatform(t *testing.T) {
	arm7 := v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
	tests := []struct {
		name string
		want v1.Platform
		have *ocispec.Platform
		// score: 0 no match, 3 exact, 2 any variant, 1 older arm variant
		score int
	}{
		{"nil platform", v1.Platform{OS: "linux", Architecture: "amd64"}, nil, 0},
		{"same", v1.Platform{OS: "linux", Architecture: "amd64"}, &ocispec.Platform{OS: "linux", Architecture: "amd64"}, 3},
		{"other OS", v1.Platform{OS: "linux", Architecture: "amd64"}, &ocispec.Platform{OS: "windows", Architecture: "amd64"}, 0},
		{"attestation entry", v1.Platform{OS: "linux", Architecture: "amd64"}, &ocispec.Platform{OS: "unknown", Architecture: "unknown"}, 0},
		{"x86_64 alias", v1.Platform{OS: "linux", Architecture: "amd64"}, &ocispec.Platform{OS: "linux", Architecture: "x86_64"}, 3},
		{"arm64 v8 is arm64", v1.Platform{OS: "linux", Architecture: "arm64"}, &ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, 3},
		{"any variant", v1.Platform{OS: "linux", Architecture: "riscv64"}, &ocispec.Platform{OS: "linux", Architecture: "riscv64", Variant: "rva23"}, 2},
		{"arm v7 exact", arm7, &ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}, 3},
		{"arm without variant is v7", arm7, &ocispec.Platform{OS: "linux", Architecture: "arm"}, 3},
		{"arm v6 runs on v7", arm7, &ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v6"}, 1},
		{"arm v8 does not run on v7", arm7, &ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v8"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := matchPlatform(tc.want, tc.have); got != tc.score {
				t.Errorf("score %d, want %d", got, tc.score)
			}
		})
	}
}

func TestErrorClasses(t *testing.T) {
	tests := []struct {
		name   string
		te     *transport.Error
		class  error
		reason string
	}{
		{"manifest unknown", &transport.Error{StatusCode: 404, Errors: []transport.Diagnostic{{Code: "MANIFEST_UNKNOWN", Message: "manifest unknown"}}},
			errdefs.ErrNotFound, "manifest unknown"},
		{"message that says more", &transport.Error{StatusCode: 401, Errors: []transport.Diagnostic{{Code: "UNAUTHORIZED", Message: "pull access denied for x"}}},
			errdefs.ErrUnauthenticated, "unauthorized: pull access denied for x"},
		{"denied", &transport.Error{StatusCode: 403, Errors: []transport.Diagnostic{{Code: "DENIED"}}}, errdefs.ErrPermissionDenied, "denied"},
		{"code without status", &transport.Error{StatusCode: 400, Errors: []transport.Diagnostic{{Code: "NAME_UNKNOWN"}}}, errdefs.ErrNotFound, "name unknown"},
		{"server error", &transport.Error{StatusCode: 503}, errdefs.ErrUnavailable, "unexpected status code 503 Service Unavailable"},
		{"rate limit", &transport.Error{StatusCode: 429, Errors: []transport.Diagnostic{{Code: "TOOMANYREQUESTS", Message: "slow down"}}},
			errdefs.ErrUnavailable, "toomanyrequests: slow down"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := responseErr(tc.te)
			if !errors.Is(err, tc.class) || err.Error() != tc.reason {
				t.Errorf("%v (%q), want %v %q", err, err.Error(), tc.class, tc.reason)
			}
			var te *transport.Error
			if !errors.As(err, &te) {
				t.Error("transport.Error lost")
			}
		})
	}
	nf := fmt.Errorf("x: %w", errdefs.ErrNotFound)
	auth := fmt.Errorf("x: %w", errdefs.ErrUnauthenticated)
	down := fmt.Errorf("x: %w", errdefs.ErrUnavailable)
	for _, tc := range []struct {
		name string
		errs []error
		want error
	}{
		{"all not found", []error{nf, nf}, errdefs.ErrNotFound},
		{"not found and down", []error{nf, down}, errdefs.ErrUnavailable},
		{"auth wins", []error{nf, auth, down}, errdefs.ErrUnauthenticated},
		{"down", []error{down}, errdefs.ErrUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var attempts []Attempt
			for _, e := range tc.errs {
				attempts = append(attempts, Attempt{Endpoint: "e", Err: e})
			}
			err := newResolveError("r", attempts, nil)
			if !errors.Is(err, tc.want) {
				t.Errorf("class of %v, want %v", err, tc.want)
			}
			for _, other := range []error{errdefs.ErrNotFound, errdefs.ErrUnauthenticated, errdefs.ErrUnavailable} {
				if other != tc.want && errors.Is(err, other) {
					t.Errorf("%v also matches %v", err, other)
				}
			}
		})
	}
}
