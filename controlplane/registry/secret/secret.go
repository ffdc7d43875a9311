// Package secret is the strategy of v1 Secrets.
package secret

import (
	"reflect"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiffrt/skiff/controlplane/registry"
	"github.com/skiffrt/skiff/controlplane/registry/configmap"
)

// Kind describes secrets.
func Kind() registry.Kind {
	return registry.Kind{
		GroupVersionKind: corev1.SchemeGroupVersion.WithKind("Secret"),
		Resource:         "secrets", Singular: "secret",
		Namespaced: true,
		Strategy:   registry.Typed[*corev1.Secret](strategy{}),
	}
}

type strategy struct{}

// PrepareForCreate and PrepareForUpdate fold stringData into data, as
// upstream does when it converts: stringData is write-only.
func (strategy) PrepareForCreate(s *corev1.Secret)    { foldStringData(s) }
func (strategy) PrepareForUpdate(s, _ *corev1.Secret) { foldStringData(s) }

func foldStringData(s *corev1.Secret) {
	if len(s.StringData) == 0 {
		return
	}
	if s.Data == nil {
		s.Data = map[string][]byte{}
	}
	for k, v := range s.StringData {
		s.Data[k] = []byte(v)
	}
	s.StringData = nil
}

func (strategy) Default(s *corev1.Secret) {
	if s.Type == "" {
		s.Type = corev1.SecretTypeOpaque
	}
}

// requiredKeys are the data keys each well-known type must carry.
var requiredKeys = map[corev1.SecretType][]string{
	corev1.SecretTypeTLS:              {corev1.TLSCertKey, corev1.TLSPrivateKeyKey},
	corev1.SecretTypeDockerConfigJson: {corev1.DockerConfigJsonKey},
	corev1.SecretTypeDockercfg:        {corev1.DockerConfigKey},
	corev1.SecretTypeSSHAuth:          {corev1.SSHAuthPrivateKey},
}

func (strategy) Validate(s *corev1.Secret) field.ErrorList {
	errs := configmap.ValidateData(nil, s.Data)
	for i := range errs {
		// The shared checks name binaryData; a secret's map is data.
		errs[i].Field = "data" + errs[i].Field[len("binaryData"):]
	}
	for _, k := range requiredKeys[s.Type] {
		if _, ok := s.Data[k]; !ok {
			errs = append(errs, field.Required(field.NewPath("data").Key(k), ""))
		}
	}
	return errs
}

func (strategy) ValidateUpdate(s, old *corev1.Secret) field.ErrorList {
	var errs field.ErrorList
	if s.Type != old.Type {
		errs = append(errs, field.Invalid(field.NewPath("type"), s.Type, "field is immutable"))
	}
	if old.Immutable != nil && *old.Immutable {
		if s.Immutable == nil || !*s.Immutable {
			errs = append(errs, field.Forbidden(field.NewPath("immutable"), "field is immutable when `immutable` is set"))
		}
		if !reflect.DeepEqual(s.Data, old.Data) {
			errs = append(errs, field.Forbidden(field.NewPath("data"), "field is immutable when `immutable` is set"))
		}
	}
	return errs
}

func (strategy) SelectableFields(s *corev1.Secret) fields.Set {
	return fields.Set{"type": string(s.Type)}
}

func (strategy) Columns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		registry.NameColumn(),
		registry.Column("Type", "string", "The type of the secret", 0),
		registry.Column("Data", "string", "The number of data entries in the secret", 0),
		registry.AgeColumn(),
	}
}

func (strategy) Row(s *corev1.Secret) []any {
	return []any{s.Name, string(s.Type), int64(len(s.Data)), registry.Age(s)}
}
