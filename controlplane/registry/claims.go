package registry

import (
	"context"
	"encoding/json"
	"slices"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/skiffrt/skiff/controlplane/storage"
)

// owner is the value of a claim: who holds it.
type owner struct {
	Kind      string    `json:"kind"`
	Namespace string    `json:"namespace,omitempty"`
	Name      string    `json:"name"`
	UID       types.UID `json:"uid"`
}

// Owner returns the value of the claims obj holds (see Kind.Claims).
func Owner(kind string, obj runtime.Object) []byte {
	m := accessor(obj)
	b, _ := json.Marshal(owner{Kind: kind, Namespace: m.GetNamespace(), Name: m.GetName(), UID: m.GetUID()})
	return b
}

// OwnerOf parses a claim's value; ok is false when it is not one.
func OwnerOf(b []byte) (ns, name string, uid types.UID, ok bool) {
	var o owner
	if json.Unmarshal(b, &o) != nil || o.UID == "" {
		return "", "", "", false
	}
	return o.Namespace, o.Name, o.UID, true
}

// claims returns the claims a write of obj over old (nil: a create;
// obj nil: a delete) takes and frees.
func (s *Store) claims(obj, old runtime.Object) storage.Claims {
	if s.kind.Claims == nil {
		return storage.Claims{}
	}
	var want, had []string
	holder := old
	if obj != nil {
		want, holder = s.kind.Claims(obj), obj
	}
	if old != nil {
		had = s.kind.Claims(old)
	}
	c := storage.Claims{Owner: Owner(s.kind.Kind, holder)}
	for _, k := range want {
		if !slices.Contains(had, k) && !slices.Contains(c.Take, k) {
			c.Take = append(c.Take, k)
		}
	}
	for _, k := range had {
		if !slices.Contains(want, k) && !slices.Contains(c.Release, k) {
			c.Release = append(c.Release, k)
		}
	}
	return c
}

// claimed is the Admit hook's view of the held claims under prefix.
func (s *Store) claimed(ctx context.Context, prefix string) (map[string]bool, error) {
	claims, _, err := s.raw.ListClaims(ctx, prefix)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(claims))
	for _, c := range claims {
		out[c.Key] = true
	}
	return out, nil
}
