package agent

import (
	"context"
	"log/slog"
	"sync"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// PlaceholderToken is what a projected service account token holds while
// the API server issues no tokens (no serviceaccounts/token
// subresource): it authenticates nobody.
const PlaceholderToken = "skiff: the API server issues no service account tokens yet"

// sources reads ConfigMaps and Secrets from the API server, and service
// account tokens through TokenRequest, cached until 80% of their life.
type sources struct {
	client kubernetes.Interface

	mu     sync.Mutex // guards tokens
	tokens map[tokenKey]token
	warned bool
}

type tokenKey struct {
	uid, sa, audience string
	exp               int64
}

type token struct {
	value   string
	refresh time.Time
}

func newSources(client kubernetes.Interface) *sources {
	return &sources{client: client, tokens: map[tokenKey]token{}}
}

func (s *sources) ConfigMap(ctx context.Context, ns, name string) (*corev1.ConfigMap, error) {
	return s.client.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
}

func (s *sources) Secret(ctx context.Context, ns, name string) (*corev1.Secret, error) {
	return s.client.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
}

func (s *sources) Claim(ctx context.Context, ns, name string) (*corev1.PersistentVolumeClaim, error) {
	return s.client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, name, metav1.GetOptions{})
}

func (s *sources) Volume(ctx context.Context, name string) (*corev1.PersistentVolume, error) {
	return s.client.CoreV1().PersistentVolumes().Get(ctx, name, metav1.GetOptions{})
}

// Token asks for a token bound to the pod; while the API server has no
// TokenRequest it is PlaceholderToken.
func (s *sources) Token(ctx context.Context, pod *corev1.Pod, sa, audience string, exp int64) (string, error) {
	key := tokenKey{string(pod.UID), sa, audience, exp}
	s.mu.Lock()
	t, ok := s.tokens[key]
	s.mu.Unlock()
	if ok && time.Now().Before(t.refresh) {
		return t.value, nil
	}
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		ExpirationSeconds: &exp,
		BoundObjectRef:    &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID},
	}}
	if audience != "" {
		req.Spec.Audiences = []string{audience}
	}
	resp, err := s.client.CoreV1().ServiceAccounts(pod.Namespace).CreateToken(ctx, sa, req, metav1.CreateOptions{})
	switch {
	case apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err):
		s.warnOnce(ctx, err)
		t = token{value: PlaceholderToken, refresh: time.Now().Add(time.Minute)}
	case err != nil:
		return "", err
	default:
		life := time.Until(resp.Status.ExpirationTimestamp.Time)
		t = token{value: resp.Status.Token, refresh: time.Now().Add(life * 8 / 10)}
	}
	s.mu.Lock()
	s.tokens[key] = t
	s.mu.Unlock()
	return t.value, nil
}

func (s *sources) warnOnce(ctx context.Context, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.warned {
		s.warned = true
		slog.WarnContext(ctx, "no service account token from the API server; projected tokens are placeholders", "error", err)
	}
}

// forget drops the tokens of a pod that is gone.
func (s *sources) forget(uid types.UID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.tokens {
		if k.uid == string(uid) {
			delete(s.tokens, k)
		}
	}
}
