package oci

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// seccompChoice is which seccomp profile a container asked for.
type seccompChoice struct {
	kind  runtime.SecurityProfile_ProfileType
	ref   string // the Localhost profile's path
	field string // where the choice came from, for errors
}

// chooseSeccomp reads the container's seccomp field, or the legacy
// seccomp_profile_path when that is unset. No profile at all is
// Unconfined, as kubelet and critest expect.
func chooseSeccomp(sc *runtime.LinuxContainerSecurityContext) (seccompChoice, error) {
	if p := sc.GetSeccomp(); p != nil {
		c := seccompChoice{kind: p.GetProfileType(), ref: p.GetLocalhostRef(), field: scField + "seccomp"}
		switch c.kind {
		case runtime.SecurityProfile_RuntimeDefault, runtime.SecurityProfile_Unconfined:
			return c, nil
		case runtime.SecurityProfile_Localhost:
			if c.ref == "" {
				return c, invalid(containerScope, c.field+".localhost_ref", "empty for a Localhost profile")
			}
			return c, nil
		}
		return c, invalid(containerScope, c.field+".profile_type", "unknown type %d", c.kind)
	}
	return legacySeccomp(sc.GetSeccompProfilePath()) //nolint:staticcheck // the deprecated field is still sent
}

// legacySeccomp reads a seccomp_profile_path string.
func legacySeccomp(s string) (seccompChoice, error) {
	c := seccompChoice{kind: runtime.SecurityProfile_Unconfined, field: scField + "seccomp_profile_path"}
	switch {
	case s == "" || s == "unconfined":
	case s == "runtime/default" || s == "docker/default":
		c.kind = runtime.SecurityProfile_RuntimeDefault
	case strings.HasPrefix(s, "localhost/") && len(s) > len("localhost/"):
		c.kind, c.ref = runtime.SecurityProfile_Localhost, strings.TrimPrefix(s, "localhost/")
	default:
		return c, invalid(containerScope, c.field, "unknown profile %q", s)
	}
	return c, nil
}

// containerSeccomp builds the container's seccomp filter; nil is
// unconfined. A privileged container is always unconfined, whatever
// profile it names (CRI).
func containerSeccomp(sc *runtime.LinuxContainerSecurityContext, caps []string, root, goarch string, host Host) (*specs.LinuxSeccomp, error) {
	if sc.GetPrivileged() {
		return nil, nil
	}
	c, err := chooseSeccomp(sc)
	if err != nil {
		return nil, err
	}
	switch c.kind {
	case runtime.SecurityProfile_Unconfined:
		return nil, nil
	case runtime.SecurityProfile_RuntimeDefault:
		return runtimeDefaultSeccomp(caps, goarch), nil
	}
	path, within, err := localhostProfilePath(c, root)
	if err != nil {
		return nil, err
	}
	data, err := host.ReadProfile(path, within)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, invalid(containerScope, c.field, "profile %s does not exist", path)
	case errors.Is(err, ErrNotProfile):
		return nil, invalid(containerScope, c.field, "%v", err)
	case err != nil:
		return nil, fmt.Errorf("%s: %s: read profile %s: %w: %w", containerScope, c.field, path, errdefs.ErrInternal, err)
	}
	s, err := parseSeccompProfile(data, caps, goarch)
	if err != nil {
		return nil, invalid(containerScope, c.field, "profile %s: %v", path, err)
	}
	return s, nil
}

// localhostProfilePath is the profile's host path: absolute as given, or
// relative to root, which it may not leave; within is then root.
func localhostProfilePath(c seccompChoice, root string) (path, within string, err error) {
	if filepath.IsAbs(c.ref) {
		return filepath.Clean(c.ref), "", nil
	}
	if root == "" {
		return "", "", invalid(containerScope, c.field, "relative profile path %q and no seccomp profile root is configured", c.ref)
	}
	if !filepath.IsLocal(c.ref) {
		return "", "", invalid(containerScope, c.field, "profile path %q leaves the seccomp profile root", c.ref)
	}
	return filepath.Join(root, c.ref), root, nil
}
