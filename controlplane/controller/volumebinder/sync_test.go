package volumebinder

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/controller/controllertest"
	"github.com/skiffrt/skiff/controlplane/localstorage"
)

// fakeAPI keeps volumes and records every write ("create pvc-u1",
// "volume status pvc-u1 Bound", "claim data pvc-u1", "claim status data
// Bound", "delete pvc-old").
type fakeAPI struct {
	writes  []string
	volumes map[string]*corev1.PersistentVolume
	claims  map[string]*corev1.PersistentVolumeClaim
}

func (f *fakeAPI) createVolume(_ context.Context, v *corev1.PersistentVolume) (*corev1.PersistentVolume, error) {
	if _, ok := f.volumes[v.Name]; ok {
		return nil, apierrors.NewAlreadyExists(corev1.Resource("persistentvolumes"), v.Name)
	}
	f.writes = append(f.writes, "create "+v.Name)
	v = v.DeepCopy()
	v.Status.Phase = corev1.VolumePending
	f.volumes[v.Name] = v
	return v, nil
}

func (f *fakeAPI) getVolume(_ context.Context, name string) (*corev1.PersistentVolume, error) {
	v, ok := f.volumes[name]
	if !ok {
		return nil, apierrors.NewNotFound(corev1.Resource("persistentvolumes"), name)
	}
	return v, nil
}

func (f *fakeAPI) updateVolumeStatus(_ context.Context, v *corev1.PersistentVolume) (*corev1.PersistentVolume, error) {
	f.writes = append(f.writes, fmt.Sprintf("volume status %s %s", v.Name, v.Status.Phase))
	f.volumes[v.Name] = v
	return v, nil
}

func (f *fakeAPI) deleteVolume(_ context.Context, v *corev1.PersistentVolume) error {
	f.writes = append(f.writes, "delete "+v.Name)
	return nil
}

func (f *fakeAPI) updateClaim(_ context.Context, c *corev1.PersistentVolumeClaim) (*corev1.PersistentVolumeClaim, error) {
	f.writes = append(f.writes, fmt.Sprintf("claim %s %s", c.Name, c.Spec.VolumeName))
	f.claims[c.Name] = c
	return c, nil
}

func (f *fakeAPI) updateClaimStatus(_ context.Context, c *corev1.PersistentVolumeClaim) (*corev1.PersistentVolumeClaim, error) {
	f.writes = append(f.writes, fmt.Sprintf("claim status %s %s", c.Name, c.Status.Phase))
	f.claims[c.Name] = c
	return c, nil
}

func testController(t *testing.T, objs ...any) (*Controller, *fakeAPI, *controllertest.Recorder) {
	t.Helper()
	nsIx := cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc}
	claims := cache.NewIndexer(cache.MetaNamespaceKeyFunc, nsIx)
	volumes := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	nodes := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	pods := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{claimIndex: indexClaims})
	a := &fakeAPI{volumes: map[string]*corev1.PersistentVolume{}, claims: map[string]*corev1.PersistentVolumeClaim{}}
	for _, o := range objs {
		var err error
		switch o := o.(type) {
		case *corev1.PersistentVolumeClaim:
			err = claims.Add(o)
		case *corev1.PersistentVolume:
			err = volumes.Add(o)
			a.volumes[o.Name] = o
		case *corev1.Node:
			err = nodes.Add(o)
		case *corev1.Pod:
			err = pods.Add(o)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	ev := &controllertest.Recorder{}
	c := newController(corelisters.NewPersistentVolumeClaimLister(claims), corelisters.NewPersistentVolumeLister(volumes),
		corelisters.NewNodeLister(nodes), pods, a, ev)
	return c, a, ev
}

func claim(name string, uid types.UID, mods ...func(*corev1.PersistentVolumeClaim)) *corev1.PersistentVolumeClaim {
	c := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: uid},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
		},
		Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending},
	}
	for _, m := range mods {
		m(c)
	}
	return c
}

func podUsing(name, node string, age time.Duration, claims ...string) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, CreationTimestamp: metav1.NewTime(time.Unix(1e9, 0).Add(-age))},
		Spec:       corev1.PodSpec{NodeName: node},
	}
	for _, c := range claims {
		p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: c, VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: c}}})
	}
	return p
}

func node(name, dir string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if dir != "" {
		n.Annotations = map[string]string{localstorage.VolumeDirAnnotation: dir}
	}
	return n
}

func TestSync(t *testing.T) {
	provisioned := func(c *corev1.PersistentVolumeClaim, node string, phase corev1.PersistentVolumePhase) *corev1.PersistentVolume {
		v := newVolume(c, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: node}})
		v.UID, v.Status.Phase = "v-"+c.UID, phase
		return v
	}
	tests := []struct {
		name   string
		objs   []any
		writes []string
		events []string
	}{
		{
			name:   "waits for the first consumer",
			objs:   []any{claim("data", "u1"), node("n1", ""), podUsing("p", "", 0, "data")},
			writes: nil,
		},
		{
			name: "provisions on the node of the first pod, then binds",
			objs: []any{claim("data", "u1"), node("n1", "/vol/a"), node("n2", "/vol/b"),
				podUsing("late", "n2", time.Minute, "data"), podUsing("early", "n1", time.Hour, "data")},
			writes: []string{"create pvc-u1", "volume status pvc-u1 Bound", "claim data pvc-u1", "claim status data Bound"},
			events: []string{"ProvisioningSucceeded"},
		},
		{
			name: "a volume made before a crash is bound, not made again",
			objs: []any{claim("data", "u1"), node("n1", ""), podUsing("p", "n1", 0, "data"),
				provisioned(claim("data", "u1"), "n1", corev1.VolumeBound)},
			writes: []string{"claim data pvc-u1", "claim status data Bound"},
		},
		{
			name: "bound already: nothing to write",
			objs: []any{claim("data", "u1", func(c *corev1.PersistentVolumeClaim) {
				c.Spec.VolumeName, c.Status.Phase = "pvc-u1", corev1.ClaimBound
			}), provisioned(claim("data", "u1"), "n1", corev1.VolumeBound)},
			writes: nil,
		},
		{
			name: "another class is not skiff's",
			objs: []any{claim("data", "u1", func(c *corev1.PersistentVolumeClaim) { c.Spec.StorageClassName = new("nfs") }),
				node("n1", ""), podUsing("p", "n1", 0, "data")},
			writes: nil,
		},
		{
			name:   "the volume of a claim gone is deleted",
			objs:   []any{provisioned(claim("data", "u1"), "n1", corev1.VolumeBound)},
			writes: []string{"delete pvc-u1"},
		},
		{
			name:   "the volume of a replaced claim is deleted, the new claim waits",
			objs:   []any{claim("data", "u2"), provisioned(claim("data", "u1"), "n1", corev1.VolumeBound)},
			writes: []string{"delete pvc-u1"},
		},
		{
			name: "a volume skiff did not make is left",
			objs: []any{func() *corev1.PersistentVolume {
				v := provisioned(claim("data", "u1"), "n1", corev1.VolumeBound)
				v.Annotations = nil
				return v
			}()},
			writes: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, a, ev := testController(t, tt.objs...)
			if err := c.sync(t.Context(), "ns/data"); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(a.writes, tt.writes) || !slices.Equal(ev.Reasons(), tt.events) {
				t.Fatalf("writes %q events %q, want %q %q", a.writes, ev.Reasons(), tt.writes, tt.events)
			}
		})
	}
}

// TestProvisionedVolume: what the volume and the bound claim say.
func TestProvisionedVolume(t *testing.T) {
	c, a, _ := testController(t, claim("data", "u1"), node("n1", "/tmp/vols"), podUsing("p", "n1", 0, "data"))
	if err := c.sync(t.Context(), "ns/data"); err != nil {
		t.Fatal(err)
	}
	v := a.volumes["pvc-u1"]
	if v.Spec.HostPath == nil || v.Spec.HostPath.Path != "/tmp/vols/pvc-u1" || nodeOf(v) != "n1" ||
		v.Spec.ClaimRef.UID != "u1" || v.Spec.StorageClassName != localstorage.StorageClass ||
		v.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete || !localstorage.IsLocal(v) {
		t.Fatalf("volume %+v", v.Spec)
	}
	if q := v.Spec.Capacity[corev1.ResourceStorage]; q.String() != "1Gi" {
		t.Fatalf("capacity %s", q.String())
	}
	got := a.claims["data"]
	if got.Status.Phase != corev1.ClaimBound || got.Spec.VolumeName != "pvc-u1" || got.Annotations[annSelectedNode] != "n1" ||
		got.Annotations[annBindCompleted] != "yes" || len(got.Status.AccessModes) != 1 {
		t.Fatalf("claim %+v", got)
	}
}
