package namespace

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/controller"
)

var (
	now        = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	podsR      = controller.Resource{GroupVersionResource: schema.GroupVersionResource{Version: "v1", Resource: "pods"}, Kind: "Pod", Namespaced: true}
	configMaps = controller.Resource{GroupVersionResource: schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}, Kind: "ConfigMap", Namespaced: true}
	deploys    = controller.Resource{GroupVersionResource: schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, Kind: "Deployment", Namespaced: true}
)

// fakeAPI: every kind is deleted but for what left keeps; deleteErr
// fails the deletion of a resource.
type fakeAPI struct {
	discoveryErr error
	left         map[string][]metav1.PartialObjectMetadata // by resource
	deleteErr    map[string]error
	deleted      []string
	statuses     []corev1.NamespaceStatus
	finalized    []corev1.FinalizerName
	wasFinalized bool
}

func (f *fakeAPI) resources() ([]controller.Resource, error) {
	if f.discoveryErr != nil {
		return nil, f.discoveryErr
	}
	return []controller.Resource{configMaps, podsR, deploys}, nil
}

func (f *fakeAPI) deleteCollection(_ context.Context, r controller.Resource, ns string) error {
	f.deleted = append(f.deleted, r.Resource)
	return f.deleteErr[r.Resource]
}

func (f *fakeAPI) list(_ context.Context, r controller.Resource, ns string) ([]metav1.PartialObjectMetadata, error) {
	return f.left[r.Resource], nil
}

func (f *fakeAPI) updateStatus(_ context.Context, ns *corev1.Namespace) (*corev1.Namespace, error) {
	f.statuses = append(f.statuses, *ns.Status.DeepCopy())
	return ns.DeepCopy(), nil
}

func (f *fakeAPI) finalize(_ context.Context, ns *corev1.Namespace) (*corev1.Namespace, error) {
	f.wasFinalized = true
	f.finalized = ns.Spec.Finalizers
	return ns.DeepCopy(), nil
}

func namespace(mods ...func(*corev1.Namespace)) *corev1.Namespace {
	ns := &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{Name: "scratch", DeletionTimestamp: &metav1.Time{Time: now}},
		Spec:       corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{corev1.FinalizerKubernetes, "example.com/other"}},
		Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating},
	}
	for _, m := range mods {
		m(ns)
	}
	return ns
}

func items(finalizers ...string) []metav1.PartialObjectMetadata {
	var out []metav1.PartialObjectMetadata
	for _, f := range finalizers {
		o := metav1.PartialObjectMetadata{}
		if f != "" {
			o.Finalizers = []string{f}
		}
		out = append(out, o)
	}
	return out
}

// condition is "status reason message" of a condition in st.
func condition(st corev1.NamespaceStatus, t corev1.NamespaceConditionType) string {
	for _, c := range st.Conditions {
		if c.Type == t {
			return string(c.Status) + " " + c.Reason + " " + c.Message
		}
	}
	return ""
}

func TestSync(t *testing.T) {
	settled := func(ns *corev1.Namespace) {
		setConditions(&ns.Status, nil, metav1.NewTime(now))
	}
	tests := []struct {
		name      string
		ns        *corev1.Namespace
		api       *fakeAPI
		wantErr   bool
		deleted   bool // content deletion ran
		statuses  int
		finalized bool
		check     func(t *testing.T, st corev1.NamespaceStatus)
	}{
		{
			name: "not being deleted", ns: namespace(func(ns *corev1.Namespace) { ns.DeletionTimestamp = nil }),
			api: &fakeAPI{},
		},
		{
			name: "already finalized", ns: namespace(func(ns *corev1.Namespace) { ns.Spec.Finalizers = nil }),
			api: &fakeAPI{},
		},
		{
			name: "empty: all conditions fine, then finalized", ns: namespace(func(ns *corev1.Namespace) { ns.Status.Phase = corev1.NamespaceActive }),
			api: &fakeAPI{}, deleted: true, statuses: 1, finalized: true,
			check: func(t *testing.T, st corev1.NamespaceStatus) {
				if st.Phase != corev1.NamespaceTerminating || len(st.Conditions) != 5 ||
					condition(st, corev1.NamespaceContentRemaining) != "False ContentRemoved All content successfully removed" {
					t.Fatalf("status %+v", st)
				}
			},
		},
		{
			name: "conditions already written: finalized without a status write", ns: namespace(settled),
			api: &fakeAPI{}, deleted: true, finalized: true,
		},
		{
			name:    "content left: counted in the conditions, looked at again",
			ns:      namespace(settled),
			api:     &fakeAPI{left: map[string][]metav1.PartialObjectMetadata{"pods": items("", ""), "deployments": items("foregroundDeletion")}},
			deleted: true, statuses: 1,
			check: func(t *testing.T, st corev1.NamespaceStatus) {
				if c := condition(st, corev1.NamespaceContentRemaining); c != "True SomeResourcesRemain Some resources are remaining: deployments.apps has 1 resource instances, pods. has 2 resource instances" {
					t.Fatalf("ContentRemaining %s", c)
				}
				if c := condition(st, corev1.NamespaceFinalizersRemaining); c != "True SomeFinalizersRemain Some content in the namespace has finalizers remaining: foregroundDeletion in 1 resource instances" {
					t.Fatalf("FinalizersRemaining %s", c)
				}
			},
		},
		{
			name: "a kind that cannot be deleted", ns: namespace(settled),
			api:     &fakeAPI{deleteErr: map[string]error{"configmaps": errors.New("forbidden")}},
			wantErr: true, deleted: true, statuses: 1,
			check: func(t *testing.T, st corev1.NamespaceStatus) {
				if c := condition(st, corev1.NamespaceDeletionContentFailure); c != "True ContentDeletionFailed Failed to delete all resource types, 1 remaining: failed to delete configmaps.: forbidden" {
					t.Fatalf("ContentFailure %s", c)
				}
			},
		},
		{
			name: "discovery fails", ns: namespace(settled),
			api:     &fakeAPI{discoveryErr: errors.New("no discovery")},
			wantErr: true, statuses: 1,
			check: func(t *testing.T, st corev1.NamespaceStatus) {
				if c := condition(st, corev1.NamespaceDeletionDiscoveryFailure); c != "True DiscoveryFailed no discovery" {
					t.Fatalf("DiscoveryFailure %s", c)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
			if err := indexer.Add(tt.ns); err != nil {
				t.Fatal(err)
			}
			c := newController(corelisters.NewNamespaceLister(indexer), tt.api)
			c.now = func() time.Time { return now }
			err := c.sync(t.Context(), "scratch")
			if (err != nil) != tt.wantErr {
				t.Fatalf("sync: %v", err)
			}
			if (len(tt.api.deleted) > 0) != tt.deleted || len(tt.api.statuses) != tt.statuses || tt.api.wasFinalized != tt.finalized {
				t.Fatalf("deleted %v, %d status writes, finalized %v", tt.api.deleted, len(tt.api.statuses), tt.api.wasFinalized)
			}
			if tt.finalized && !slices.Equal(tt.api.finalized, []corev1.FinalizerName{"example.com/other"}) {
				t.Fatalf("finalizers left %v", tt.api.finalized)
			}
			if tt.check != nil {
				tt.check(t, tt.api.statuses[len(tt.api.statuses)-1])
			}
		})
	}
	if err := newController(corelisters.NewNamespaceLister(cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})), &fakeAPI{}).sync(t.Context(), "gone"); err != nil {
		t.Fatalf("a namespace gone: %v", err)
	}
}
