package remote

import (
	"runtime"
	"runtime/debug"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// defaultPlatform fills the empty fields of p: linux, the architecture
// skiff runs on and, for 32-bit arm, the variant it was built for.
func defaultPlatform(p v1.Platform) v1.Platform {
	if p.OS == "" {
		p.OS = "linux"
	}
	if p.Architecture == "" {
		p.Architecture = runtime.GOARCH
		if p.Variant == "" && p.Architecture == "arm" {
			p.Variant = "v" + goarm()
		}
	}
	return p
}

// goarm is the GOARM skiff was built with: "5", "6" or "7".
func goarm() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "GOARM" && s.Value != "" {
				return s.Value[:1]
			}
		}
	}
	return "7"
}

// matchPlatform scores how well an index entry's platform serves want:
// 0 not at all, 3 the same variant, 2 any variant when want has none, 1
// an older 32-bit arm variant (v6 runs on v7), as containerd accepts.
func matchPlatform(want v1.Platform, have *ocispec.Platform) int {
	if have == nil || !strings.EqualFold(have.OS, want.OS) {
		return 0
	}
	arch := normalizeArch(want.Architecture)
	if normalizeArch(have.Architecture) != arch {
		return 0
	}
	wv, hv := normalizeVariant(arch, want.Variant), normalizeVariant(arch, have.Variant)
	switch {
	case wv == hv:
		return 3
	case wv == "":
		return 2
	case arch == "arm" && hv != "" && hv < wv:
		return 1
	}
	return 0
}

func normalizeArch(a string) string {
	switch a = strings.ToLower(a); a {
	case "x86_64", "x86-64":
		return "amd64"
	case "aarch64":
		return "arm64"
	case "armhf", "armel":
		return "arm"
	case "i386", "i686":
		return "386"
	}
	return a
}

// normalizeVariant makes "8" and "v8" alike, arm64's v8 the default, and
// arm's v7 the default.
func normalizeVariant(arch, v string) string {
	v = strings.ToLower(v)
	if v != "" && !strings.HasPrefix(v, "v") {
		v = "v" + v
	}
	switch {
	case arch == "arm64" && v == "v8":
		return ""
	case arch == "arm" && v == "":
		return "v7"
	}
	return v
}

func toPlatform(p *ocispec.Platform) v1.Platform {
	return v1.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant, OSVersion: p.OSVersion}
}

// platformString is "os/arch[/variant]".
func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}
