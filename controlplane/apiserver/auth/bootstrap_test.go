package auth

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// secrets is a fake ObjectGetter holding Secrets by name.
type secrets map[string]*corev1.Secret

func (s secrets) Get(_ context.Context, ns, name string) (runtime.Object, error) {
	if sec, ok := s[ns+"/"+name]; ok {
		return sec, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, name)
}

// stored is the Secret as the API server keeps it: stringData in data.
func stored(s *corev1.Secret) *corev1.Secret {
	s = s.DeepCopy()
	s.Data = map[string][]byte{}
	for k, v := range s.StringData {
		s.Data[k] = []byte(v)
	}
	s.StringData = nil
	return s
}

func TestBootstrapTokens(t *testing.T) {
	good, gs := NewBootstrapToken(time.Hour, "test")
	expired, es := NewBootstrapToken(time.Hour, "")
	es.StringData["expiration"] = time.Now().Add(-time.Minute).Format(time.RFC3339)
	unused, us := NewBootstrapToken(0, "")
	us.StringData["usage-bootstrap-authentication"] = "false"
	store := secrets{}
	for _, s := range []*corev1.Secret{gs, es, us} {
		store[s.Namespace+"/"+s.Name] = stored(s)
	}
	b := BootstrapTokens{Secrets: store}
	tests := []struct {
		name, header string
		user         string
		err          bool
	}{
		{"good", "Bearer " + good, "system:bootstrap:" + good[:6], false},
		{"wrong secret", "Bearer " + good[:7] + "0123456789abcdef", "", true},
		{"expired", "Bearer " + expired, "", true},
		{"not for authentication", "Bearer " + unused, "", true},
		{"unknown id", "Bearer zzzzzz.0123456789abcdef", "", true},
		{"another kind of token", "Bearer some-static-token", "", false},
		{"no token", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/api", nil)
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			u, err := b.Authenticate(r)
			if (err != nil) != tc.err {
				t.Fatalf("err %v, want error %v", err, tc.err)
			}
			name := ""
			if u != nil {
				name = u.Name
				if len(u.Groups) != 1 || u.Groups[0] != BootstrappersGroup {
					t.Errorf("groups %v", u.Groups)
				}
			}
			if name != tc.user {
				t.Errorf("user %q, want %q", name, tc.user)
			}
		})
	}
	if !bootstrapTokenRE.MatchString(good) {
		t.Errorf("token %q has not the bootstrap form", good)
	}
}
