package env

import (
	"context"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/skiffrt/skiff/controlplane/agent/podspec"
)

// Objects reads the ConfigMaps and Secrets a pod refers to.
type Objects interface {
	ConfigMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error)
	Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error)
}

// Resolve returns container c's environment: envFrom first (keys that
// are not valid variable names are skipped and reported in skipped),
// then env, each value expanded against the variables before it. A
// missing ConfigMap, Secret or key is an error unless the reference is
// optional.
func Resolve(ctx context.Context, objs Objects, p Pod, c *corev1.Container) (vars []podspec.EnvVar, skipped []string, err error) {
	r := resolver{ctx: ctx, objs: objs, pod: p, index: map[string]int{}}
	for _, from := range c.EnvFrom {
		if err := r.addFrom(from, &skipped); err != nil {
			return nil, nil, err
		}
	}
	for _, e := range c.Env {
		v, ok, err := r.value(c, e)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			r.set(e.Name, v)
		}
	}
	return r.vars, skipped, nil
}

type resolver struct {
	ctx   context.Context
	objs  Objects
	pod   Pod
	vars  []podspec.EnvVar
	index map[string]int // name → position in vars
}

// set defines a variable; a redefinition keeps the first position.
func (r *resolver) set(name, value string) {
	if i, ok := r.index[name]; ok {
		r.vars[i].Value = value
		return
	}
	r.index[name] = len(r.vars)
	r.vars = append(r.vars, podspec.EnvVar{Name: name, Value: value})
}

func (r *resolver) lookup(name string) (string, bool) {
	if i, ok := r.index[name]; ok {
		return r.vars[i].Value, true
	}
	return "", false
}

func (r *resolver) addFrom(from corev1.EnvFromSource, skipped *[]string) error {
	data := map[string]string{}
	switch {
	case from.ConfigMapRef != nil:
		cm, err := r.objs.ConfigMap(r.ctx, r.pod.Namespace, from.ConfigMapRef.Name)
		if err != nil {
			return optional(err, from.ConfigMapRef.Optional, "configmap", from.ConfigMapRef.Name)
		}
		if cm != nil {
			data = cm.Data
		}
	case from.SecretRef != nil:
		s, err := r.objs.Secret(r.ctx, r.pod.Namespace, from.SecretRef.Name)
		if err != nil {
			return optional(err, from.SecretRef.Optional, "secret", from.SecretRef.Name)
		}
		if s != nil {
			for k, v := range s.Data {
				data[k] = string(v)
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(data)) {
		name := from.Prefix + k
		if len(validation.IsEnvVarName(name)) > 0 {
			*skipped = append(*skipped, name)
			continue
		}
		r.set(name, data[k])
	}
	return nil
}

// value returns one env entry's value; ok is false when an optional
// reference is missing (the variable is then not set).
func (r *resolver) value(c *corev1.Container, e corev1.EnvVar) (string, bool, error) {
	from := e.ValueFrom
	if from == nil {
		return podspec.Expand(e.Value, r.lookup), true, nil
	}
	switch {
	case from.FieldRef != nil:
		v, err := FieldValue(r.pod, from.FieldRef.FieldPath)
		return v, err == nil, err
	case from.ResourceFieldRef != nil:
		v, err := ResourceValue(r.pod, c, from.ResourceFieldRef)
		return v, err == nil, err
	case from.ConfigMapKeyRef != nil:
		ref := from.ConfigMapKeyRef
		cm, err := r.objs.ConfigMap(r.ctx, r.pod.Namespace, ref.Name)
		if err != nil {
			return "", false, optional(err, ref.Optional, "configmap", ref.Name)
		}
		v, ok := cm.Data[ref.Key]
		if !ok {
			return "", false, missingKey(ref.Optional, "configmap", ref.Name, ref.Key)
		}
		return v, true, nil
	case from.SecretKeyRef != nil:
		ref := from.SecretKeyRef
		s, err := r.objs.Secret(r.ctx, r.pod.Namespace, ref.Name)
		if err != nil {
			return "", false, optional(err, ref.Optional, "secret", ref.Name)
		}
		v, ok := s.Data[ref.Key]
		if !ok {
			return "", false, missingKey(ref.Optional, "secret", ref.Name, ref.Key)
		}
		return string(v), true, nil
	}
	return "", false, fmt.Errorf("env %s: unsupported valueFrom", e.Name)
}

// optional is nil for a missing object an optional reference names, else
// the error.
func optional(err error, opt *bool, kind, name string) error {
	if apierrors.IsNotFound(err) && opt != nil && *opt {
		return nil
	}
	return fmt.Errorf("%s %q not found: %w", kind, name, err)
}

func missingKey(opt *bool, kind, name, key string) error {
	if opt != nil && *opt {
		return nil
	}
	return fmt.Errorf("couldn't find key %s in %s %s", key, kind, name)
}
