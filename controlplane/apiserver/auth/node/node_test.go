package node

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/skiffrt/skiff/controlplane/apiserver/auth"
)

// fakePods replays events to the first watch, then blocks.
type fakePods struct{ events []watch.Event }

func (f *fakePods) Watch(ctx context.Context, _ string, opts *metav1.ListOptions) (<-chan watch.Event, error) {
	ch := make(chan watch.Event)
	evs := f.events
	f.events = nil
	go func() {
		defer close(ch)
		for _, ev := range evs {
			select {
			case ch <- ev:
			case <-ctx.Done():
				return
			}
		}
		<-ctx.Done()
	}()
	return ch, nil
}

func pod(name, node string, spec corev1.PodSpec) *corev1.Pod {
	spec.NodeName = node
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}, Spec: spec}
}

func initialEnd() *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{metav1.InitialEventsAnnotationKey: "true"}}}
}

// graphOf runs a Graph over events until it has applied them.
func graphOf(t *testing.T, events ...watch.Event) *Graph {
	t.Helper()
	g := NewGraph()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "zz-last"}, Spec: corev1.PodSpec{NodeName: "sentinel", ServiceAccountName: "done"}}
	go g.Run(ctx, &fakePods{events: append(events, watch.Event{Type: watch.Added, Object: done})})
	deadline := time.Now().Add(5 * time.Second)
	for !g.Has("sentinel", Ref{"serviceaccounts", "ns", "done"}) {
		if time.Now().After(deadline) {
			t.Fatal("graph did not apply the events")
		}
		time.Sleep(time.Millisecond)
	}
	return g
}

func TestGraph(t *testing.T) {
	withSecret := corev1.PodSpec{ServiceAccountName: "sa", Volumes: []corev1.Volume{
		{Name: "v", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "s1"}}},
		{Name: "e", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{}}},
	}, Containers: []corev1.Container{{Name: "c", EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cm"}}}}}}}
	g := graphOf(t,
		watch.Event{Type: watch.Added, Object: pod("a", "n1", withSecret)},
		watch.Event{Type: watch.Added, Object: pod("b", "n1", withSecret)},
		watch.Event{Type: watch.Added, Object: pod("unbound", "", corev1.PodSpec{ImagePullSecrets: []corev1.LocalObjectReference{{Name: "pull"}}})},
		watch.Event{Type: watch.Bookmark, Object: initialEnd()},
		watch.Event{Type: watch.Deleted, Object: pod("a", "n1", withSecret)},
		watch.Event{Type: watch.Modified, Object: pod("c", "n2", corev1.PodSpec{ImagePullSecrets: []corev1.LocalObjectReference{{Name: "pull"}}})},
	)
	tests := []struct {
		node string
		ref  Ref
		want bool
	}{
		{"n1", Ref{"secrets", "ns", "s1"}, true}, // b still references it
		{"n1", Ref{"configmaps", "ns", "cm"}, true},
		{"n1", Ref{"serviceaccounts", "ns", "sa"}, true},
		{"n1", Ref{"persistentvolumeclaims", "ns", "b-e"}, true},
		{"n1", Ref{"persistentvolumeclaims", "ns", "a-e"}, false}, // a is gone
		{"n2", Ref{"secrets", "ns", "s1"}, false},
		{"n2", Ref{"secrets", "ns", "pull"}, true},
		{"n1", Ref{"secrets", "other", "s1"}, false},
	}
	for _, tc := range tests {
		if got := g.Has(tc.node, tc.ref); got != tc.want {
			t.Errorf("Has(%s, %v) = %v, want %v", tc.node, tc.ref, got, tc.want)
		}
	}
}

func TestAuthorizer(t *testing.T) {
	g := graphOf(t,
		watch.Event{Type: watch.Added, Object: pod("p", "n1", corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Env: []corev1.EnvVar{
			{Name: "X", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "s1"}}}}}}}})},
		watch.Event{Type: watch.Bookmark, Object: initialEnd()},
	)
	z := &Authorizer{Graph: g}
	n1 := &auth.User{Name: "system:node:n1", Groups: []string{auth.NodesGroup}}
	at := func(u *auth.User, verb, group, ns, resource, sub, name string) auth.Attributes {
		return auth.Attributes{User: u, ResourceRequest: true, Verb: verb, APIGroup: group, Namespace: ns, Resource: resource, Subresource: sub, Name: name}
	}
	tests := []struct {
		name string
		a    auth.Attributes
		want auth.Decision
	}{
		{"own node status", at(n1, "patch", "", "", "nodes", "status", "n1"), auth.Allow},
		{"other node status", at(n1, "patch", "", "", "nodes", "status", "n2"), auth.NoOpinion},
		{"other node", at(n1, "update", "", "", "nodes", "", "n2"), auth.NoOpinion},
		{"register", at(n1, "create", "", "", "nodes", "", ""), auth.Allow},
		{"list nodes", at(n1, "list", "", "", "nodes", "", ""), auth.Allow},
		{"delete node", at(n1, "delete", "", "", "nodes", "", "n1"), auth.NoOpinion},
		{"own lease", at(n1, "update", "coordination.k8s.io", "kube-node-lease", "leases", "", "n1"), auth.Allow},
		{"other lease", at(n1, "update", "coordination.k8s.io", "kube-node-lease", "leases", "", "n2"), auth.NoOpinion},
		{"lease elsewhere", at(n1, "create", "coordination.k8s.io", "kube-system", "leases", "", ""), auth.NoOpinion},
		{"referenced secret", at(n1, "get", "", "ns", "secrets", "", "s1"), auth.Allow},
		{"watch of the referenced secret", at(n1, "watch", "", "ns", "secrets", "", "s1"), auth.Allow},
		{"other secret", at(n1, "get", "", "ns", "secrets", "", "s2"), auth.NoOpinion},
		{"list secrets", at(n1, "list", "", "ns", "secrets", "", ""), auth.NoOpinion},
		{"update a referenced secret", at(n1, "update", "", "ns", "secrets", "", "s1"), auth.NoOpinion},
		{"pod status", at(n1, "patch", "", "ns", "pods", "status", "p"), auth.Allow},
		{"pod update", at(n1, "update", "", "ns", "pods", "", "p"), auth.NoOpinion},
		{"bind pods", at(n1, "create", "", "ns", "pods", "binding", "p"), auth.NoOpinion},
		{"watch pods", at(n1, "watch", "", "", "pods", "", ""), auth.Allow},
		{"events", at(n1, "create", "events.k8s.io", "ns", "events", "", ""), auth.Allow},
		{"endpointslices", at(n1, "list", "discovery.k8s.io", "", "endpointslices", "", ""), auth.Allow},
		{"deployments", at(n1, "list", "apps", "", "deployments", "", ""), auth.NoOpinion},
		{"not a node", at(&auth.User{Name: "system:node:n1"}, "get", "", "ns", "secrets", "", "s1"), auth.NoOpinion},
		{"nameless node", at(&auth.User{Name: "system:node:", Groups: []string{auth.NodesGroup}}, "list", "", "", "pods", "", ""), auth.NoOpinion},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d, _, _ := z.Authorize(context.Background(), tc.a); d != tc.want {
				t.Errorf("got %v, want %v", d, tc.want)
			}
		})
	}
}
