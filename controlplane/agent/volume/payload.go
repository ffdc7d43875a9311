package volume

import (
	"context"
	"fmt"
	"os"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/skiffrt/skiff/controlplane/agent/env"
)

// defaultMode of projected files, as the API server defaults it.
const defaultMode = 0o644

func modeOf(item, def *int32) os.FileMode {
	switch {
	case item != nil:
		return os.FileMode(*item)
	case def != nil:
		return os.FileMode(*def)
	}
	return defaultMode
}

// keyPayload maps data to files: every key, or only the listed items
// (with their paths and modes). A listed key that is missing is an error
// unless the source is optional.
func keyPayload(data map[string][]byte, items []corev1.KeyToPath, def *int32, optional bool, what string) (map[string]File, error) {
	out := map[string]File{}
	if len(items) == 0 {
		for k, v := range data {
			out[k] = File{Data: v, Mode: modeOf(nil, def)}
		}
		return out, nil
	}
	for _, it := range items {
		v, ok := data[it.Key]
		if !ok {
			if optional {
				continue
			}
			return nil, fmt.Errorf("configured to use key %s of %s, which is missing", it.Key, what)
		}
		out[it.Path] = File{Data: v, Mode: modeOf(it.Mode, def)}
	}
	return out, nil
}

func configMapPayload(ctx context.Context, src Sources, ns string, v *corev1.ConfigMapVolumeSource) (map[string]File, error) {
	return configMapFiles(ctx, src, ns, v.Name, v.Items, v.DefaultMode, v.Optional)
}

func configMapFiles(ctx context.Context, src Sources, ns, name string, items []corev1.KeyToPath, def *int32, opt *bool) (map[string]File, error) {
	optional := opt != nil && *opt
	cm, err := src.ConfigMap(ctx, ns, name)
	if apierrors.IsNotFound(err) && optional {
		return map[string]File{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("configmap %q: %w", name, err)
	}
	data := make(map[string][]byte, len(cm.Data)+len(cm.BinaryData))
	for k, v := range cm.Data {
		data[k] = []byte(v)
	}
	for k, v := range cm.BinaryData {
		data[k] = v
	}
	return keyPayload(data, items, def, optional, "configmap "+name)
}

func secretPayload(ctx context.Context, src Sources, ns string, v *corev1.SecretVolumeSource) (map[string]File, error) {
	return secretFiles(ctx, src, ns, v.SecretName, v.Items, v.DefaultMode, v.Optional)
}

func secretFiles(ctx context.Context, src Sources, ns, name string, items []corev1.KeyToPath, def *int32, opt *bool) (map[string]File, error) {
	optional := opt != nil && *opt
	s, err := src.Secret(ctx, ns, name)
	if apierrors.IsNotFound(err) && optional {
		return map[string]File{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("secret %q: %w", name, err)
	}
	return keyPayload(s.Data, items, def, optional, "secret "+name)
}

// downwardPayload writes each item's field or resource value.
func downwardPayload(p env.Pod, items []corev1.DownwardAPIVolumeFile, def *int32) (map[string]File, error) {
	out := map[string]File{}
	for _, it := range items {
		var v string
		var err error
		switch {
		case it.FieldRef != nil:
			v, err = env.FieldValue(p, it.FieldRef.FieldPath)
		case it.ResourceFieldRef != nil:
			v, err = resourceValue(p, it.ResourceFieldRef)
		}
		if err != nil {
			return nil, fmt.Errorf("downward API item %s: %w", it.Path, err)
		}
		out[it.Path] = File{Data: []byte(v), Mode: modeOf(it.Mode, def)}
	}
	return out, nil
}

// resourceValue resolves a resourceFieldRef, which in a volume names its
// container.
func resourceValue(p env.Pod, ref *corev1.ResourceFieldSelector) (string, error) {
	for i := range p.Spec.Containers {
		if c := &p.Spec.Containers[i]; c.Name == ref.ContainerName {
			return env.ResourceValue(p, c, ref)
		}
	}
	return "", fmt.Errorf("container %q not found", ref.ContainerName)
}

// projectedPayload merges the sources of a projected volume.
func projectedPayload(ctx context.Context, src Sources, p env.Pod, v *corev1.ProjectedVolumeSource) (map[string]File, error) {
	out := map[string]File{}
	for _, s := range v.Sources {
		var part map[string]File
		var err error
		switch {
		case s.ConfigMap != nil:
			part, err = configMapFiles(ctx, src, p.Namespace, s.ConfigMap.Name, s.ConfigMap.Items, v.DefaultMode, s.ConfigMap.Optional)
		case s.Secret != nil:
			part, err = secretFiles(ctx, src, p.Namespace, s.Secret.Name, s.Secret.Items, v.DefaultMode, s.Secret.Optional)
		case s.DownwardAPI != nil:
			part, err = downwardPayload(p, s.DownwardAPI.Items, v.DefaultMode)
		case s.ServiceAccountToken != nil:
			part, err = tokenPayload(ctx, src, p.Pod, s.ServiceAccountToken, v.DefaultMode)
		default:
			err = fmt.Errorf("unsupported projected source (configMap, secret, downwardAPI and serviceAccountToken are)")
		}
		if err != nil {
			return nil, err
		}
		for k, f := range part {
			out[k] = f
		}
	}
	return out, nil
}

func tokenPayload(ctx context.Context, src Sources, pod *corev1.Pod, t *corev1.ServiceAccountTokenProjection, def *int32) (map[string]File, error) {
	sa := pod.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	exp := int64(3600)
	if t.ExpirationSeconds != nil {
		exp = *t.ExpirationSeconds
	}
	tok, err := src.Token(ctx, pod, sa, t.Audience, exp)
	if err != nil {
		return nil, fmt.Errorf("service account token of %q: %w", sa, err)
	}
	return map[string]File{t.Path: {Data: []byte(tok), Mode: modeOf(nil, def)}}, nil
}
