package env

import (
	"context"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiffrt/skiff/controlplane/agent/podspec"
)

// fakeObjects serves ConfigMaps and Secrets from maps.
type fakeObjects struct {
	cms     map[string]*corev1.ConfigMap
	secrets map[string]*corev1.Secret
}

func (f fakeObjects) ConfigMap(_ context.Context, ns, name string) (*corev1.ConfigMap, error) {
	if cm, ok := f.cms[ns+"/"+name]; ok {
		return cm, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "configmaps"}, name)
}

func (f fakeObjects) Secret(_ context.Context, ns, name string) (*corev1.Secret, error) {
	if s, ok := f.secrets[ns+"/"+name]; ok {
		return s, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, name)
}

func ptr[T any](v T) *T { return &v }

// vars builds an environment from name, value pairs.
func vars(kv ...string) []podspec.EnvVar {
	var out []podspec.EnvVar
	for i := 0; i < len(kv); i += 2 {
		out = append(out, podspec.EnvVar{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

func testPod() Pod {
	return Pod{
		Pod: &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "u1",
				Labels: map[string]string{"app": "web", "tier": "front"}, Annotations: map[string]string{"a": `say "hi"`}},
			Spec: corev1.PodSpec{NodeName: "node1", ServiceAccountName: "sa"},
		},
		PodIPs: []string{"10.88.0.5", "fd00::5"}, HostIPs: []string{"192.0.2.10"},
		Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("4Gi")},
	}
}

var objs = fakeObjects{
	cms:     map[string]*corev1.ConfigMap{"ns/cfg": {Data: map[string]string{"color": "blue", "9lives": "x", "SIZE": "3"}}},
	secrets: map[string]*corev1.Secret{"ns/creds": {Data: map[string][]byte{"password": []byte("s3cret")}}},
}

func TestResolve(t *testing.T) {
	cmKey := func(name, key string, opt bool) *corev1.EnvVarSource {
		return &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key, Optional: &opt}}
	}
	tests := []struct {
		name        string
		c           corev1.Container
		want        []podspec.EnvVar
		wantSkipped []string
		wantErr     string
	}{
		{name: "values expand against earlier ones",
			c:    corev1.Container{Env: []corev1.EnvVar{{Name: "A", Value: "1"}, {Name: "B", Value: "$(A)-$(C)"}, {Name: "C", Value: "3"}, {Name: "A", Value: "again"}}},
			want: vars("A", "again", "B", "1-$(C)", "C", "3")},
		{name: "field refs",
			c: corev1.Container{Env: []corev1.EnvVar{
				{Name: "NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
				{Name: "NODE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}},
				{Name: "IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}},
				{Name: "IPS", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIPs"}}},
				{Name: "HOST", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.hostIP"}}},
				{Name: "APP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels['app']"}}},
			}},
			want: vars("NAME", "web", "NODE", "node1", "IP", "10.88.0.5", "IPS", "10.88.0.5,fd00::5", "HOST", "192.0.2.10", "APP", "web")},
		{name: "resource refs: limit, node allocatable, divisor",
			c: corev1.Container{
				Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")}, Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")}},
				Env: []corev1.EnvVar{
					{Name: "MEM", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.memory", Divisor: resource.MustParse("1Mi")}}},
					{Name: "CPU", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.cpu"}}},
					{Name: "REQ", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "requests.cpu"}}},
					{Name: "REQM", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "requests.cpu", Divisor: resource.MustParse("1m")}}},
				}},
			want: vars("MEM", "64", "CPU", "2", "REQ", "1", "REQM", "250")},
		{name: "configmap and secret keys; optional missing ones unset",
			c: corev1.Container{Env: []corev1.EnvVar{
				{Name: "COLOR", ValueFrom: cmKey("cfg", "color", false)},
				{Name: "NOPE", ValueFrom: cmKey("cfg", "nope", true)},
				{Name: "GONE", ValueFrom: cmKey("gone", "x", true)},
				{Name: "PW", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}, Key: "password"}}},
			}},
			want: vars("COLOR", "blue", "PW", "s3cret")},
		{name: "missing key", c: corev1.Container{Env: []corev1.EnvVar{{Name: "X", ValueFrom: cmKey("cfg", "nope", false)}}},
			wantErr: "couldn't find key nope in configmap cfg"},
		{name: "missing configmap", c: corev1.Container{Env: []corev1.EnvVar{{Name: "X", ValueFrom: cmKey("gone", "x", false)}}},
			wantErr: `configmap "gone" not found`},
		{name: "envFrom with prefix, invalid keys skipped, env overrides",
			c: corev1.Container{
				EnvFrom: []corev1.EnvFromSource{
					{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}},
					{Prefix: "CFG_", ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}},
					{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}}},
					{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "gone"}, Optional: ptr(true)}},
				},
				Env: []corev1.EnvVar{{Name: "CFG_color", Value: "red"}}},
			want:        vars("SIZE", "3", "color", "blue", "CFG_9lives", "x", "CFG_SIZE", "3", "CFG_color", "red", "password", "s3cret"),
			wantSkipped: []string{"9lives"}},
		{name: "envFrom missing secret", c: corev1.Container{EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "none"}}}}},
			wantErr: `secret "none" not found`},
		{name: "bad field path", c: corev1.Container{Env: []corev1.EnvVar{{Name: "X", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.bogus"}}}}},
			wantErr: "unsupported fieldPath"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, skipped, err := Resolve(context.Background(), objs, testPod(), &tt.c)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) || !reflect.DeepEqual(skipped, tt.wantSkipped) {
				t.Errorf("got %v skipped %v\nwant %v skipped %v", got, skipped, tt.want, tt.wantSkipped)
			}
		})
	}
}

func TestFieldValueMaps(t *testing.T) {
	got, err := FieldValue(testPod(), "metadata.labels")
	if err != nil || got != "app=\"web\"\ntier=\"front\"" {
		t.Errorf("labels: %q %v", got, err)
	}
	got, _ = FieldValue(testPod(), "metadata.annotations")
	if got != `a="say \"hi\""` {
		t.Errorf("annotations: %q", got)
	}
}
