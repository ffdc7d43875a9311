package ownerref

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
)

var rsKind = appsv1.SchemeGroupVersion.WithKind("ReplicaSet")

func owner(deleting bool) *appsv1.ReplicaSet {
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web", UID: "rs-uid"}}
	if deleting {
		rs.DeletionTimestamp = &metav1.Time{}
	}
	return rs
}

func pod(name string, controller types.UID, deleting bool) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID(name + "-uid")}}
	if controller != "" {
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "x", UID: controller, Controller: new(true)}}
	}
	if deleting {
		p.DeletionTimestamp = &metav1.Time{}
	}
	return p
}

func TestDecide(t *testing.T) {
	other := pod("p", "", false)
	other.Namespace = "elsewhere"
	notController := pod("p", "", false)
	notController.OwnerReferences = []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "web", UID: "rs-uid"}}
	tests := []struct {
		name          string
		ownerDeleting bool
		obj           *corev1.Pod
		matches       bool
		want          Action
	}{
		{"own and matching", false, pod("p", "rs-uid", false), true, Keep},
		{"own and matching, owner deleting", true, pod("p", "rs-uid", false), true, Keep},
		{"own, no longer matching", false, pod("p", "rs-uid", false), false, Release},
		{"own, not matching, owner deleting", true, pod("p", "rs-uid", false), false, Skip},
		{"another controller's", false, pod("p", "other-uid", false), true, Skip},
		{"matching orphan", false, pod("p", "", false), true, Adopt},
		{"orphan with a non-controller owner reference", false, notController, true, Adopt},
		{"orphan not matching", false, pod("p", "", false), false, Skip},
		{"orphan, owner deleting", true, pod("p", "", false), true, Skip},
		{"orphan being deleted", false, pod("p", "", true), true, Skip},
		{"orphan of another namespace", false, other, true, Skip},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Decide(owner(tt.ownerDeleting), tt.obj, tt.matches); got != tt.want {
				t.Fatalf("Decide = %v, want %v", got, tt.want)
			}
		})
	}
}

// patcher applies patches to pods kept by name, as the API server would.
type patcher struct {
	pods map[string]*corev1.Pod
	err  map[string]error
	seen []string
}

func (p *patcher) patch(_ context.Context, ns, name string, patch []byte) error {
	p.seen = append(p.seen, name)
	if err := p.err[name]; err != nil {
		return err
	}
	cur, _ := json.Marshal(p.pods[name])
	out, err := strategicpatch.StrategicMergePatch(cur, patch, &corev1.Pod{})
	if err != nil {
		return err
	}
	next := &corev1.Pod{}
	if err := json.Unmarshal(out, next); err != nil {
		return err
	}
	if next.UID != p.pods[name].UID {
		return apierrors.NewInvalid(schema.GroupKind{Kind: "Pod"}, name, nil)
	}
	p.pods[name] = next
	return nil
}

func TestClaim(t *testing.T) {
	orphan, own, stale, foreign := pod("orphan", "", false), pod("own", "rs-uid", false), pod("stale", "rs-uid", false), pod("foreign", "x-uid", false)
	stale.Labels = map[string]string{"app": "old"}
	gone := pod("gone", "", false)
	p := &patcher{pods: map[string]*corev1.Pod{}, err: map[string]error{"gone": apierrors.NewNotFound(schema.GroupResource{Resource: "pods"}, "gone")}}
	all := []*corev1.Pod{orphan, own, stale, foreign, gone}
	for _, x := range all {
		p.pods[x.Name] = x.DeepCopy()
	}
	asked := 0
	c := &Claimer{Owner: owner(false), Kind: rsKind, Patch: p.patch,
		CanAdopt: func(context.Context) error { asked++; return nil }}
	claimed, err := Claim(t.Context(), c, all, func(p *corev1.Pod) bool { return p.Labels["app"] != "old" })
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range claimed {
		names = append(names, c.Name)
	}
	if !slices.Equal(names, []string{"orphan", "own"}) {
		t.Fatalf("claimed %v", names)
	}
	if !slices.Equal(p.seen, []string{"orphan", "stale", "gone"}) || asked != 1 {
		t.Fatalf("patched %v, CanAdopt asked %d times", p.seen, asked)
	}
	ref := metav1.GetControllerOf(p.pods["orphan"])
	if ref == nil || ref.UID != "rs-uid" || ref.Kind != "ReplicaSet" || ref.APIVersion != "apps/v1" || ref.Name != "web" ||
		ref.BlockOwnerDeletion == nil || !*ref.BlockOwnerDeletion {
		t.Fatalf("adopted orphan's controllerRef %+v", ref)
	}
	if refs := p.pods["stale"].OwnerReferences; len(refs) != 0 {
		t.Fatalf("released pod keeps %v", refs)
	}
}

func TestClaimRefusedAdoption(t *testing.T) {
	p := &patcher{pods: map[string]*corev1.Pod{"a": pod("a", "", false), "b": pod("b", "", false)}}
	refused := errors.New("deleted")
	c := &Claimer{Owner: owner(false), Kind: rsKind, Patch: p.patch, CanAdopt: func(context.Context) error { return refused }}
	claimed, err := Claim(t.Context(), c, []*corev1.Pod{pod("a", "", false), pod("b", "", false)}, func(*corev1.Pod) bool { return true })
	if len(claimed) != 0 || !errors.Is(err, refused) || len(p.seen) != 0 {
		t.Fatalf("claimed %v, err %v, patched %v", claimed, err, p.seen)
	}
}

// TestReleaseReplaced: a pod deleted and created again under its name is
// not the one released; the API refuses the patch (uid), which is fine.
func TestReleaseReplaced(t *testing.T) {
	p := &patcher{pods: map[string]*corev1.Pod{"p": pod("p", "rs-uid", false)}}
	p.pods["p"].UID = "new-uid"
	c := &Claimer{Owner: owner(false), Kind: rsKind, Patch: p.patch}
	if _, err := Claim(t.Context(), c, []*corev1.Pod{pod("p", "rs-uid", false)}, func(*corev1.Pod) bool { return false }); err != nil {
		t.Fatal(err)
	}
	if len(p.pods["p"].OwnerReferences) != 1 {
		t.Fatal("the new pod lost its owner")
	}
}

func TestResolve(t *testing.T) {
	rs := owner(false)
	get := func(name string) (*appsv1.ReplicaSet, error) {
		if name != "web" {
			return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "replicasets"}, name)
		}
		return rs, nil
	}
	tests := []struct {
		name string
		ref  *metav1.OwnerReference
		want bool
	}{
		{"found", &metav1.OwnerReference{Kind: "ReplicaSet", Name: "web", UID: "rs-uid"}, true},
		{"no reference", nil, false},
		{"another kind", &metav1.OwnerReference{Kind: "Deployment", Name: "web", UID: "rs-uid"}, false},
		{"a namesake", &metav1.OwnerReference{Kind: "ReplicaSet", Name: "web", UID: "older-uid"}, false},
		{"gone", &metav1.OwnerReference{Kind: "ReplicaSet", Name: "api", UID: "rs-uid"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok := Resolve(tt.ref, "ReplicaSet", get); ok != tt.want {
				t.Fatalf("Resolve = %v", ok)
			}
			key, ok := ResolveKey(tt.ref, "ReplicaSet", get)
			if want := rs.Namespace + "/web"; ok != tt.want || ok && key != want {
				t.Fatalf("ResolveKey = %q, %v; want %q, %v", key, ok, want, tt.want)
			}
		})
	}
}
