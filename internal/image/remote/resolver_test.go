package remote

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/testutil/testimage"
)

func TestResolve(t *testing.T) {
	reg := startRegistry(t, busyboxRef, testimage.MultiArchRef, testimage.LayeredRef)
	r, _ := newResolver(t, Config{Mirrors: mirrorsOf("http://" + reg.Addr())}, hubClosed(t))
	multi := refDigest(t, testimage.MultiArchRef)
	tests := []struct {
		name, ref  string
		wantDigest string
		want       v1.Image
	}{
		{"tag", busyboxRef, refDigest(t, busyboxRef), hostImage(t, busyboxRef)},
		{"multi-platform index by tag", testimage.MultiArchRef, multi, hostImage(t, testimage.MultiArchRef)},
		{"digest", "docker.io/library/busybox@" + multi, multi, hostImage(t, testimage.MultiArchRef)},
		// busybox:latest is another image: the digest wins, as in containerd.
		{"tag and digest", "docker.io/library/busybox:latest@" + multi, multi, hostImage(t, testimage.MultiArchRef)},
		{"five layers", testimage.LayeredRef, refDigest(t, testimage.LayeredRef), hostImage(t, testimage.LayeredRef)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			ref := mustRef(t, tc.ref)
			img, err := r.Resolve(ctx, ref, nil)
			if err != nil {
				t.Fatal(err)
			}
			if img.Ref.String() != ref.String() || img.Endpoint != "http://"+reg.Addr() || img.Digest.String() != tc.wantDigest {
				t.Errorf("ref %s endpoint %s digest %s, want %s http://%s %s", img.Ref, img.Endpoint, img.Digest, ref, reg.Addr(), tc.wantDigest)
			}
			checkImage(t, img, tc.want)
			for _, l := range img.Layers {
				got, err := readLayer(ctx, r, img, l)
				if err != nil {
					t.Fatalf("layer %s: %v", l.Digest, err)
				}
				if !bytes.Equal(got, compressed(t, tc.want, l.Digest.String())) {
					t.Errorf("layer %s: content differs", l.Digest)
				}
			}
		})
	}
}

// checkImage compares img's manifest, config and layers with want's.
func checkImage(t *testing.T, img *Image, want v1.Image) {
	t.Helper()
	manifest, _ := want.RawManifest()
	mdigest, _ := want.Digest()
	mt, _ := want.MediaType()
	config, _ := want.RawConfigFile()
	id, _ := want.ConfigName()
	if !bytes.Equal(img.Manifest, manifest) || img.ManifestDigest.String() != mdigest.String() || img.MediaType != string(mt) {
		t.Errorf("manifest %s (%s), want %s (%s)", img.ManifestDigest, img.MediaType, mdigest, mt)
	}
	if !bytes.Equal(img.Config, config) || img.ConfigDigest.String() != id.String() {
		t.Errorf("config %s, want %s", img.ConfigDigest, id)
	}
	m, _ := want.Manifest()
	cf, _ := want.ConfigFile()
	if len(img.Layers) != len(m.Layers) {
		t.Fatalf("%d layers, want %d", len(img.Layers), len(m.Layers))
	}
	for i, l := range img.Layers {
		w := m.Layers[i]
		if l.Digest.String() != w.Digest.String() || l.Size != w.Size || l.MediaType != string(w.MediaType) ||
			l.DiffID.String() != cf.RootFS.DiffIDs[i].String() {
			t.Errorf("layer %d = %+v, want %s %d %s diff %s", i, l, w.Digest, w.Size, w.MediaType, cf.RootFS.DiffIDs[i])
		}
	}
}

func TestResolvePlatform(t *testing.T) {
	reg := startRegistry(t, testimage.MultiArchRef)
	tests := []struct {
		name     string
		platform v1.Platform
		want     v1.Platform // entry expected, OS "" for none
	}{
		{"default is the host", v1.Platform{}, v1.Platform{OS: "linux", Architecture: defaultPlatform(v1.Platform{}).Architecture}},
		{"s390x", v1.Platform{OS: "linux", Architecture: "s390x"}, v1.Platform{OS: "linux", Architecture: "s390x"}},
		{"arm64 without variant", v1.Platform{OS: "linux", Architecture: "arm64"}, v1.Platform{OS: "linux", Architecture: "arm64"}},
		{"arm64 v8", v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, v1.Platform{OS: "linux", Architecture: "arm64"}},
		{"aarch64", v1.Platform{OS: "linux", Architecture: "aarch64"}, v1.Platform{OS: "linux", Architecture: "arm64"}},
		{"riscv64 is missing", v1.Platform{OS: "linux", Architecture: "riscv64"}, v1.Platform{}},
		{"windows is missing", v1.Platform{OS: "windows", Architecture: "amd64"}, v1.Platform{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := newResolver(t, Config{Mirrors: mirrorsOf("http://" + reg.Addr()), Platform: tc.platform}, hubClosed(t))
			img, err := r.Resolve(context.Background(), mustRef(t, testimage.MultiArchRef), nil)
			if tc.want.OS == "" {
				var re *ResolveError
				if !errors.As(err, &re) || !errors.Is(re.Attempts[0].Err, errdefs.ErrNotFound) ||
					!strings.Contains(err.Error(), "no manifest for "+platformString(defaultPlatform(tc.platform))) {
					t.Fatalf("error %v, want no manifest for the platform", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkImage(t, img, platformImage(t, testimage.MultiArchRef, tc.want))
			if img.Digest.String() != refDigest(t, testimage.MultiArchRef) {
				t.Errorf("digest %s, want the index's", img.Digest)
			}
		})
	}
}

func TestMirrors(t *testing.T) {
	reg := startRegistry(t, busyboxRef)
	reg2 := startRegistry(t, busyboxRef)
	empty := startRegistry(t)
	down := closedAddr(t)
	locked := front(t, reg.Addr(), basicAuth("u", "p"), frontOpts{})
	broken := front(t, reg.Addr(), status(http.StatusServiceUnavailable), frontOpts{})
	tests := []struct {
		name    string
		mirrors []string
		want    string
	}{
		{"first mirror serves", []string{"http://" + reg.Addr(), "http://" + reg2.Addr()}, "http://" + reg.Addr()},
		{"first mirror down, second serves", []string{"http://" + down, "http://" + reg2.Addr()}, "http://" + reg2.Addr()},
		{"first mirror lacks the image", []string{"http://" + empty.Addr(), "http://" + reg.Addr()}, "http://" + reg.Addr()},
		{"first mirror wants credentials", []string{"http://" + hostOf(locked), "http://" + reg.Addr()}, "http://" + reg.Addr()},
		{"first mirror answers 503", []string{"http://" + hostOf(broken), "http://" + reg.Addr()}, "http://" + reg.Addr()},
		{"refused plain HTTP mirror is skipped", []string{"http://10.1.2.3:5000", "http://" + reg.Addr()}, "http://" + reg.Addr()},
		{"bad mirror URL is skipped", []string{"ftp://x", "http://" + reg.Addr()}, "http://" + reg.Addr()},
		{"bare host mirror", []string{reg.Addr()}, "http://" + reg.Addr()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, dials := newResolver(t, Config{Mirrors: mirrorsOf(tc.mirrors...)}, hubClosed(t))
			img, err := r.Resolve(context.Background(), mustRef(t, busyboxRef), nil)
			if err != nil {
				t.Fatal(err)
			}
			if img.Endpoint != tc.want {
				t.Errorf("endpoint %s, want %s", img.Endpoint, tc.want)
			}
			if dials.has("10.1.2.3:5000") {
				t.Error("dialed the refused mirror")
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	empty := startRegistry(t)
	empty2 := startRegistry(t)
	withImage := startRegistry(t, busyboxRef)
	emptyTLS := front(t, empty2.Addr(), nil, frontOpts{tls: true})
	locked := front(t, withImage.Addr(), basicAuth("u", "p"), frontOpts{})
	hub := closedAddr(t)
	tests := []struct {
		name    string
		cfg     Config
		hosts   map[string]string
		ref     string
		auth    *Auth
		class   error
		message []string // substrings, in order
	}{
		{
			name: "not found anywhere",
			cfg:  Config{Mirrors: mirrorsOf("http://" + empty.Addr()), Insecure: []string{dockerHubAPI}},
			// Docker Hub played by a TLS server, reached because it is listed as insecure.
			hosts: map[string]string{dockerHubAPI + ":443": hostOf(emptyTLS)},
			ref:   "docker.io/library/nope:1",
			class: errdefs.ErrNotFound,
			message: []string{"pull docker.io/library/nope:1: name unknown at http://" + empty.Addr(),
				"; name unknown at https://" + dockerHubAPI},
		},
		{
			name:  "not found at the mirror, registry unreachable",
			cfg:   Config{Mirrors: mirrorsOf("http://" + empty.Addr())},
			hosts: map[string]string{dockerHubAPI + ":443": hub},
			ref:   "docker.io/library/nope:1",
			class: errdefs.ErrUnavailable,
			message: []string{"pull docker.io/library/nope:1: name unknown at http://" + empty.Addr(),
				"; dial tcp", "connection refused at https://" + dockerHubAPI},
		},
		{
			name:    "credentials refused",
			cfg:     Config{Mirrors: mirrorsOf("http://" + hostOf(locked))},
			hosts:   map[string]string{dockerHubAPI + ":443": hub},
			ref:     busyboxRef,
			auth:    &Auth{Username: "u", Password: "wrong"},
			class:   errdefs.ErrUnauthenticated,
			message: []string{"unauthorized: authentication required at http://" + hostOf(locked)},
		},
		{
			name:    "plain HTTP mirror refused",
			cfg:     Config{Mirrors: mirrorsOf("http://10.1.2.3:5000")},
			hosts:   map[string]string{dockerHubAPI + ":443": hub},
			ref:     busyboxRef,
			class:   errdefs.ErrUnavailable,
			message: []string{"plain HTTP is allowed only to loopback hosts and insecure registries (use https:// or list 10.1.2.3:5000 as insecure) at http://10.1.2.3:5000"},
		},
		{
			name:    "no tag or digest",
			ref:     "docker.io/library/busybox",
			class:   errdefs.ErrInvalidArgument,
			message: []string{"neither tag nor digest"},
		},
		{
			name:    "auth field not base64",
			ref:     busyboxRef,
			auth:    &Auth{Auth: "%%%"},
			class:   errdefs.ErrInvalidArgument,
			message: []string{"not base64"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, dials := newResolver(t, tc.cfg, tc.hosts)
			_, err := r.Resolve(context.Background(), mustRef(t, tc.ref), tc.auth)
			if !errors.Is(err, tc.class) {
				t.Fatalf("error %v, want class %v", err, tc.class)
			}
			t.Log(err)
			msg := err.Error()
			for _, m := range tc.message {
				i := strings.Index(msg, m)
				if i < 0 {
					t.Fatalf("error %q lacks %q", err, m)
				}
				msg = msg[i+len(m):]
			}
			if errors.Is(tc.class, errdefs.ErrInvalidArgument) && len(dials.addrs) > 0 {
				t.Errorf("dialed %v for a bad request", dials.addrs)
			}
		})
	}
}

func TestResolveCanceled(t *testing.T) {
	reg := startRegistry(t, busyboxRef)
	slow := front(t, reg.Addr(), stall("/v2/", -1), frontOpts{})
	r, _ := newResolver(t, Config{Mirrors: mirrorsOf("http://"+hostOf(slow), "http://"+reg.Addr())}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	_, err := r.Resolve(ctx, mustRef(t, busyboxRef), nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	var re *ResolveError
	if !errors.As(err, &re) || len(re.Attempts) != 1 {
		t.Errorf("error %v: want one attempt, no fallback after cancel", err)
	}
}
