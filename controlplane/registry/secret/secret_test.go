package secret

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestStringDataAndTypes(t *testing.T) {
	s := &corev1.Secret{StringData: map[string]string{"a": "b"}, Data: map[string][]byte{"c": []byte("d")}}
	st := strategy{}
	st.PrepareForCreate(s)
	st.Default(s)
	if string(s.Data["a"]) != "b" || s.StringData != nil || s.Type != corev1.SecretTypeOpaque {
		t.Fatalf("folded: %+v", s)
	}
	tls := &corev1.Secret{Type: corev1.SecretTypeTLS, Data: map[string][]byte{"tls.crt": nil}}
	if errs := st.Validate(tls); len(errs) != 1 || errs[0].Field != "data[tls.key]" {
		t.Fatalf("tls without key: %v", errs)
	}
	bad := &corev1.Secret{Data: map[string][]byte{"no/slash": nil}}
	if errs := st.Validate(bad); len(errs) != 1 || errs[0].Field != "data[no/slash]" {
		t.Fatalf("bad key: %v", errs)
	}
	old := s.DeepCopy()
	s.Type = corev1.SecretTypeTLS
	if errs := st.ValidateUpdate(s, old); len(errs) != 1 || errs[0].Field != "type" {
		t.Fatalf("type change: %v", errs)
	}
}
