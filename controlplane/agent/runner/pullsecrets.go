package runner

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/distribution/reference"
	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// dockerConfig is a .dockerconfigjson (or, without "auths", a
// .dockercfg).
type dockerConfig struct {
	Auths map[string]dockerAuth `json:"auths"`
}

type dockerAuth struct {
	Username      string `json:"username"`
	Password      string `json:"password"`
	Auth          string `json:"auth"`
	IdentityToken string `json:"identitytoken"`
	RegistryToken string `json:"registrytoken"`
}

// pullAuth returns the credentials the pod's imagePullSecrets hold for
// the image's registry, or nil. A missing secret is skipped, as kubelet.
func (r *Runner) pullAuth(ctx context.Context, pod *corev1.Pod, image string) (*runtimeapi.AuthConfig, error) {
	if len(pod.Spec.ImagePullSecrets) == 0 {
		return nil, nil
	}
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return nil, fmt.Errorf("invalid image name %q: %w", image, err)
	}
	host := reference.Domain(named)
	for _, ref := range pod.Spec.ImagePullSecrets {
		s, err := r.sources.Secret(ctx, pod.Namespace, ref.Name)
		if err != nil {
			continue
		}
		if a := authFor(s, host); a != nil {
			return a, nil
		}
	}
	return nil, nil
}

// authFor finds host's entry in a docker config secret.
func authFor(s *corev1.Secret, host string) *runtimeapi.AuthConfig {
	var auths map[string]dockerAuth
	if b, ok := s.Data[corev1.DockerConfigJsonKey]; ok {
		var cfg dockerConfig
		if json.Unmarshal(b, &cfg) != nil {
			return nil
		}
		auths = cfg.Auths
	} else if b, ok := s.Data[corev1.DockerConfigKey]; ok {
		if json.Unmarshal(b, &auths) != nil {
			return nil
		}
	}
	for key, a := range auths {
		if registryHost(key) != host {
			continue
		}
		out := &runtimeapi.AuthConfig{Username: a.Username, Password: a.Password, IdentityToken: a.IdentityToken, RegistryToken: a.RegistryToken}
		if a.Auth != "" && out.Username == "" {
			if dec, err := base64.StdEncoding.DecodeString(a.Auth); err == nil {
				out.Username, out.Password, _ = strings.Cut(string(dec), ":")
			}
		}
		return out
	}
	return nil
}

// registryHost is the registry a docker config key names: the scheme and
// path dropped, Docker Hub's aliases as docker.io.
func registryHost(key string) string {
	key = strings.TrimPrefix(strings.TrimPrefix(key, "https://"), "http://")
	key, _, _ = strings.Cut(key, "/")
	switch key {
	case "index.docker.io", "registry-1.docker.io":
		return "docker.io"
	}
	return key
}
