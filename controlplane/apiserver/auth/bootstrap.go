package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Bootstrap tokens are kept as upstream keeps them (kubeadm join): a
// Secret kube-system/bootstrap-token-<id> of type
// bootstrap.kubernetes.io/token. In etcd they are shared by every API
// server, survive restarts, and are listed and revoked with kubectl
// (kubectl -n kube-system delete secret bootstrap-token-<id>).
const (
	BootstrapTokenType      = corev1.SecretType("bootstrap.kubernetes.io/token")
	bootstrapSecretPrefix   = "bootstrap-token-"
	bootstrapUserPrefix     = "system:bootstrap:"
	bootstrapTokenNamespace = "kube-system"
)

// bootstrapTokenRE is a token's form, <id>.<secret>: 6 and 16 characters
// of [a-z0-9].
var bootstrapTokenRE = regexp.MustCompile(`^([a-z0-9]{6})\.([a-z0-9]{16})$`)

// ErrBadBootstrapToken is an unknown, expired or mistyped bootstrap token.
var ErrBadBootstrapToken = errors.New("invalid bootstrap token")

// NewBootstrapToken returns a new random token and the Secret that makes
// it valid for ttl (0: forever), for the join of nodes.
func NewBootstrapToken(ttl time.Duration, description string) (string, *corev1.Secret) {
	b := randomToken(22)
	id, secret := b[:6], b[6:]
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: bootstrapSecretPrefix + id, Namespace: bootstrapTokenNamespace},
		Type:       BootstrapTokenType,
		StringData: map[string]string{
			"token-id": id, "token-secret": secret, "description": description,
			"usage-bootstrap-authentication": "true",
		},
	}
	if ttl > 0 {
		s.StringData["expiration"] = time.Now().Add(ttl).UTC().Format(time.RFC3339)
	}
	return id + "." + secret, s
}

// ObjectGetter reads one object (a registry Store).
type ObjectGetter interface {
	Get(ctx context.Context, ns, name string) (runtime.Object, error)
}

// BootstrapTokens authenticates bearer bootstrap tokens against their
// Secrets: the user is system:bootstrap:<id> in system:bootstrappers.
// Bearer tokens of another form are left to the next Authenticator.
type BootstrapTokens struct {
	Secrets ObjectGetter
}

func (b BootstrapTokens) Authenticate(r *http.Request) (*User, error) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	m := bootstrapTokenRE.FindStringSubmatch(strings.TrimSpace(token))
	if !ok || m == nil {
		return nil, nil
	}
	id, secret := m[1], m[2]
	obj, err := b.Secrets.Get(r.Context(), bootstrapTokenNamespace, bootstrapSecretPrefix+id)
	if apierrors.IsNotFound(err) {
		return nil, ErrBadBootstrapToken
	}
	if err != nil {
		return nil, fmt.Errorf("bootstrap token: %w", err)
	}
	s, ok := obj.(*corev1.Secret)
	if !ok || !validBootstrapSecret(s, id, secret, time.Now()) {
		return nil, ErrBadBootstrapToken
	}
	return &User{Name: bootstrapUserPrefix + id, Groups: []string{BootstrappersGroup}}, nil
}

// validBootstrapSecret checks a token's Secret: its type, id, secret (in
// constant time), usage and expiration.
func validBootstrapSecret(s *corev1.Secret, id, secret string, now time.Time) bool {
	if s.Type != BootstrapTokenType || s.DeletionTimestamp != nil || string(s.Data["token-id"]) != id ||
		string(s.Data["usage-bootstrap-authentication"]) != "true" {
		return false
	}
	if subtle.ConstantTimeCompare(s.Data["token-secret"], []byte(secret)) != 1 {
		return false
	}
	if exp := string(s.Data["expiration"]); exp != "" {
		t, err := time.Parse(time.RFC3339, exp)
		if err != nil || !now.Before(t) {
			return false
		}
	}
	return true
}

// randomToken returns n random characters of [a-z0-9], without the bias
// of a plain modulo (bytes from 252 up are drawn again).
func randomToken(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		_, _ = rand.Read(buf)
		for _, c := range buf {
			if c < 252 && len(out) < n {
				out = append(out, alphabet[int(c)%len(alphabet)])
			}
		}
	}
	return string(out)
}
