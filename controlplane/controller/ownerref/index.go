package ownerref

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
)

// Index indexes objects by their namespace and the UID of their
// controller ("<ns>/<uid>", "<ns>/" for orphans), so that a controller
// finds what it owns and the orphans it may adopt without scanning the
// namespace.
const Index = "controller"

// AddIndex adds Index to an informer, once however many controllers ask
// (before the informer starts).
func AddIndex(informer cache.SharedIndexInformer) error {
	if _, ok := informer.GetIndexer().GetIndexers()[Index]; ok {
		return nil
	}
	return informer.AddIndexers(Indexers())
}

// Indexers is Index, for an indexer made by hand (tests).
func Indexers() cache.Indexers { return cache.Indexers{Index: indexFunc} }

func indexFunc(obj any) ([]string, error) {
	m, ok := obj.(metav1.Object)
	if !ok {
		return nil, nil
	}
	var uid types.UID
	if ref := metav1.GetControllerOfNoCopy(m); ref != nil {
		uid = ref.UID
	}
	return []string{m.GetNamespace() + "/" + string(uid)}, nil
}

// Owned returns the objects of namespace ns whose controller has UID uid
// (an indexer with Index), and the orphans too when orphans is set.
func Owned[T any](indexer cache.Indexer, ns string, uid types.UID, orphans bool) ([]T, error) {
	keys := []string{ns + "/" + string(uid)}
	if orphans {
		keys = append(keys, ns+"/")
	}
	var out []T
	for _, k := range keys {
		objs, err := indexer.ByIndex(Index, k)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			out = append(out, o.(T))
		}
	}
	return out, nil
}
