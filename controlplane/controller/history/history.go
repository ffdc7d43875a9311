package history

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"

	"github.com/skiffrt/skiff/controlplane/controller/ownerref"
)

// HashLabel is the label of revisions (and of the pods made from them)
// naming their revision.
const HashLabel = appsv1.ControllerRevisionHashLabelKey

// Hash is the hash of a revision's data, with collisionCount mixed in
// when it is set and not zero.
func Hash(data []byte, collisionCount *int32) string {
	h := fnv.New32a()
	h.Write(data)
	if collisionCount != nil && *collisionCount != 0 {
		b := make([]byte, 8)
		binary.LittleEndian.PutUint32(b, uint32(*collisionCount))
		h.Write(b)
	}
	return rand.SafeEncodeString(fmt.Sprint(h.Sum32()))
}

// Name is "<owner>-<hash>", the owner's name cut so that the whole
// stays a valid name.
func Name(owner, hash string) string {
	if limit := validation.DNS1123SubdomainMaxLength - 1 - len(hash); len(owner) > limit {
		owner = owner[:limit]
	}
	return owner + "-" + hash
}

// New is the revision number revision of owner (of kind gvk) holding
// data, labelled with the owner's template labels and its hash.
func New(owner metav1.Object, gvk schema.GroupVersionKind, templateLabels map[string]string, data []byte, revision int64, collisionCount *int32) *appsv1.ControllerRevision {
	hash := Hash(data, collisionCount)
	labels := maps.Clone(templateLabels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[HashLabel] = hash
	return &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{
			Name: Name(owner.GetName(), hash), Namespace: owner.GetNamespace(), Labels: labels,
			Annotations:     maps.Clone(owner.GetAnnotations()),
			OwnerReferences: []metav1.OwnerReference{ownerref.NewControllerRef(owner, gvk)},
		},
		Data:     runtime.RawExtension{Raw: data},
		Revision: revision,
	}
}

// Sort orders revisions by number, then creation, then name: oldest first.
func Sort(revs []*appsv1.ControllerRevision) {
	slices.SortStableFunc(revs, func(a, b *appsv1.ControllerRevision) int {
		if a.Revision != b.Revision {
			return cmp.Compare(a.Revision, b.Revision)
		}
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			if a.CreationTimestamp.Before(&b.CreationTimestamp) {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Name, b.Name)
	})
}

// Next is the number of a new revision: the highest of revs + 1.
func Next(revs []*appsv1.ControllerRevision) int64 {
	var max int64
	for _, r := range revs {
		if r.Revision > max {
			max = r.Revision
		}
	}
	return max + 1
}

// Equal tells whether two revisions hold the same data.
func Equal(a, b *appsv1.ControllerRevision) bool {
	return bytes.Equal(dataOf(a), dataOf(b))
}

// FindEqual returns the revisions of revs holding needle's data.
func FindEqual(revs []*appsv1.ControllerRevision, needle *appsv1.ControllerRevision) []*appsv1.ControllerRevision {
	var out []*appsv1.ControllerRevision
	for _, r := range revs {
		if Equal(r, needle) {
			out = append(out, r)
		}
	}
	return out
}

func dataOf(r *appsv1.ControllerRevision) []byte {
	if r.Data.Raw != nil {
		return r.Data.Raw
	}
	if r.Data.Object != nil {
		b, _ := json.Marshal(r.Data.Object)
		return b
	}
	return nil
}

// API writes revisions.
type API interface {
	Create(ctx context.Context, rev *appsv1.ControllerRevision) (*appsv1.ControllerRevision, error)
	Get(ctx context.Context, ns, name string) (*appsv1.ControllerRevision, error)
	Update(ctx context.Context, rev *appsv1.ControllerRevision) (*appsv1.ControllerRevision, error)
	Delete(ctx context.Context, ns, name string) error
}

// Client is API over the API server.
type Client struct{ Client kubernetes.Interface }

func (c Client) Create(ctx context.Context, rev *appsv1.ControllerRevision) (*appsv1.ControllerRevision, error) {
	return c.Client.AppsV1().ControllerRevisions(rev.Namespace).Create(ctx, rev, metav1.CreateOptions{})
}

func (c Client) Get(ctx context.Context, ns, name string) (*appsv1.ControllerRevision, error) {
	return c.Client.AppsV1().ControllerRevisions(ns).Get(ctx, name, metav1.GetOptions{})
}

func (c Client) Update(ctx context.Context, rev *appsv1.ControllerRevision) (*appsv1.ControllerRevision, error) {
	return c.Client.AppsV1().ControllerRevisions(rev.Namespace).Update(ctx, rev, metav1.UpdateOptions{})
}

func (c Client) Delete(ctx context.Context, ns, name string) error {
	err := c.Client.AppsV1().ControllerRevisions(ns).Delete(ctx, name, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// Create creates rev (made by New with *collisionCount) under the name
// its hash gives. A namesake with the same data owned by the same owner
// is returned as it is; one with other data is a hash collision: the
// count is raised (the caller writes it to the owner's status) and the
// next name tried.
func Create(ctx context.Context, a API, owner metav1.Object, rev *appsv1.ControllerRevision, collisionCount *int32) (*appsv1.ControllerRevision, error) {
	if collisionCount == nil {
		return nil, fmt.Errorf("history: nil collision count")
	}
	for {
		next := rev.DeepCopy()
		hash := Hash(dataOf(rev), collisionCount)
		next.Name = Name(owner.GetName(), hash)
		next.Labels[HashLabel] = hash
		created, err := a.Create(ctx, next)
		if !apierrors.IsAlreadyExists(err) {
			return created, err
		}
		existing, err := a.Get(ctx, next.Namespace, next.Name)
		if err != nil {
			return nil, err
		}
		if metav1.IsControlledBy(existing, owner) && Equal(existing, next) {
			return existing, nil
		}
		*collisionCount++
	}
}

// Renumber gives rev the number revision.
func Renumber(ctx context.Context, a API, rev *appsv1.ControllerRevision, revision int64) (*appsv1.ControllerRevision, error) {
	if rev.Revision == revision {
		return rev, nil
	}
	next := rev.DeepCopy()
	next.Revision = revision
	return a.Update(ctx, next)
}
