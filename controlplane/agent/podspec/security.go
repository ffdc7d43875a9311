package podspec

import (
	"errors"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// ImageUser is the user an image runs as when the pod does not say:
// a numeric UID, or a user name.
type ImageUser struct {
	UID      *int64
	Username string
}

// ErrNonRoot is a container that runAsNonRoot forbids to start.
var ErrNonRoot = errors.New("runAsNonRoot")

// security is the container's CRI security context: the container's
// settings over the pod's, namespaces as the sandbox's, noNewPrivs unless
// privilege escalation is allowed, and the seccomp profile (unconfined
// unless asked, as kubelet's default).
func security(pod *corev1.Pod, c *corev1.Container, image ImageUser) (*runtimeapi.LinuxContainerSecurityContext, error) {
	eff := effective(pod, c)
	sc := &runtimeapi.LinuxContainerSecurityContext{NamespaceOptions: namespaces(pod)}
	if eff.RunAsUser != nil {
		sc.RunAsUser = &runtimeapi.Int64Value{Value: *eff.RunAsUser}
	}
	if eff.RunAsGroup != nil {
		sc.RunAsGroup = &runtimeapi.Int64Value{Value: *eff.RunAsGroup}
	}
	if psc := pod.Spec.SecurityContext; psc != nil {
		sc.SupplementalGroups = supplementalGroups(psc)
	}
	sc.Privileged = eff.Privileged != nil && *eff.Privileged
	sc.ReadonlyRootfs = eff.ReadOnlyRootFilesystem != nil && *eff.ReadOnlyRootFilesystem
	if caps := eff.Capabilities; caps != nil {
		sc.Capabilities = &runtimeapi.Capability{AddCapabilities: capNames(caps.Add), DropCapabilities: capNames(caps.Drop)}
	}
	sc.NoNewPrivs = !sc.Privileged && eff.AllowPrivilegeEscalation != nil && !*eff.AllowPrivilegeEscalation
	sc.Seccomp = seccomp(eff.SeccompProfile)
	if eff.RunAsNonRoot != nil && *eff.RunAsNonRoot {
		if err := verifyNonRoot(sc.RunAsUser, image); err != nil {
			return nil, err
		}
	}
	return sc, nil
}

// effective merges the pod's security context under the container's, as
// kubelet's DetermineEffectiveSecurityContext.
func effective(pod *corev1.Pod, c *corev1.Container) corev1.SecurityContext {
	var eff corev1.SecurityContext
	if psc := pod.Spec.SecurityContext; psc != nil {
		eff.RunAsUser, eff.RunAsGroup, eff.RunAsNonRoot = psc.RunAsUser, psc.RunAsGroup, psc.RunAsNonRoot
		eff.SeccompProfile = psc.SeccompProfile
	}
	csc := c.SecurityContext
	if csc == nil {
		return eff
	}
	over := func(dst **int64, src *int64) {
		if src != nil {
			*dst = src
		}
	}
	over(&eff.RunAsUser, csc.RunAsUser)
	over(&eff.RunAsGroup, csc.RunAsGroup)
	if csc.RunAsNonRoot != nil {
		eff.RunAsNonRoot = csc.RunAsNonRoot
	}
	if csc.SeccompProfile != nil {
		eff.SeccompProfile = csc.SeccompProfile
	}
	eff.Privileged, eff.ReadOnlyRootFilesystem = csc.Privileged, csc.ReadOnlyRootFilesystem
	eff.Capabilities, eff.AllowPrivilegeEscalation = csc.Capabilities, csc.AllowPrivilegeEscalation
	return eff
}

func capNames(caps []corev1.Capability) []string {
	out := make([]string, len(caps))
	for i, c := range caps {
		out[i] = string(c)
	}
	return out
}

func seccomp(p *corev1.SeccompProfile) *runtimeapi.SecurityProfile {
	if p == nil {
		return &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_Unconfined}
	}
	switch p.Type {
	case corev1.SeccompProfileTypeRuntimeDefault:
		return &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_RuntimeDefault}
	case corev1.SeccompProfileTypeLocalhost:
		ref := ""
		if p.LocalhostProfile != nil {
			ref = *p.LocalhostProfile
		}
		return &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_Localhost, LocalhostRef: ref}
	}
	return &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_Unconfined}
}

// verifyNonRoot refuses UID 0, from the security context or the image,
// and an image user that is a name (it cannot be checked), with kubelet's
// messages.
func verifyNonRoot(uid *runtimeapi.Int64Value, image ImageUser) error {
	if uid != nil {
		if uid.Value == 0 {
			return fmt.Errorf("%w: container's runAsUser breaks non-root policy", ErrNonRoot)
		}
		return nil
	}
	switch {
	case image.UID != nil && *image.UID == 0:
		return fmt.Errorf("%w: container has runAsNonRoot and image will run as root", ErrNonRoot)
	case image.UID != nil:
		return nil
	case image.Username != "":
		if n, err := strconv.ParseInt(image.Username, 10, 64); err == nil && n != 0 {
			return nil
		}
		return fmt.Errorf("%w: container has runAsNonRoot and image has non-numeric user (%s), cannot verify user is non-root", ErrNonRoot, image.Username)
	}
	return fmt.Errorf("%w: container has runAsNonRoot and image will run as root", ErrNonRoot)
}
