package image

import (
	_ "crypto/sha256" // registers sha256 for digest parsing
	"fmt"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// ParseRef normalises a user's image reference as kubelet and cri-o do:
// "busybox" is docker.io/library/busybox:latest; a reference with a digest
// keeps its tag, if any, beside it.
func ParseRef(s string) (reference.Named, error) {
	if s == "" {
		return nil, fmt.Errorf("%w: empty image reference", errdefs.ErrInvalidArgument)
	}
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return nil, fmt.Errorf("%w: image reference %q: %v", errdefs.ErrInvalidArgument, s, err)
	}
	return reference.TagNameOnly(named), nil
}

// IndexName is the name under which ref is recorded: its repo digest if it
// has a digest (which wins over a tag beside it), else its repo tag.
func IndexName(ref reference.Named) string {
	if d, ok := ref.(reference.Digested); ok {
		return repoDigest(ref, d.Digest())
	}
	return repoTag(ref)
}

// repoTag returns the name:tag form of ref, or "" if it has no tag.
func repoTag(ref reference.Named) string {
	if t, ok := ref.(reference.NamedTagged); ok {
		return reference.TrimNamed(ref).String() + ":" + t.Tag()
	}
	return ""
}

// repoDigest returns the name@digest form for ref's repository.
func repoDigest(ref reference.Named, d digest.Digest) string {
	return reference.TrimNamed(ref).String() + "@" + d.String()
}

// idPrefix returns s as a hex prefix of an image ID when it can be one:
// "sha256:" followed by hex, or bare hex of at least minIDPrefix digits.
func idPrefix(s string) (string, bool) {
	hex := strings.TrimPrefix(s, "sha256:")
	if len(hex) > 64 || (hex == s && len(hex) < minIDPrefix) || hex == "" {
		return "", false
	}
	for _, c := range hex {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return "", false
		}
	}
	return hex, true
}

// minIDPrefix is the shortest bare hex prefix taken as an image ID, so that
// a short repository name such as "cafe" still reads as a name.
const minIDPrefix = 12
