package garbagecollector

import (
	"context"
	"encoding/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/metadata"
)

// api is what the collector reads fresh and writes through the API
// server, on the metadata of objects of any kind.
type api interface {
	get(ctx context.Context, ref objectRef) (*metav1.PartialObjectMetadata, error)
	// delete deletes ref if it still has the UID (and resourceVersion,
	// when given) read.
	delete(ctx context.Context, ref objectRef, resourceVersion string, policy metav1.DeletionPropagation) error
	patch(ctx context.Context, ref objectRef, pt types.PatchType, patch []byte) error
}

type metadataAPI struct{ client metadata.Interface }

func (a metadataAPI) get(ctx context.Context, ref objectRef) (*metav1.PartialObjectMetadata, error) {
	return a.client.Resource(ref.Resource).Namespace(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
}

func (a metadataAPI) delete(ctx context.Context, ref objectRef, rv string, policy metav1.DeletionPropagation) error {
	pre := &metav1.Preconditions{UID: &ref.UID}
	if rv != "" {
		pre.ResourceVersion = &rv
	}
	return a.client.Resource(ref.Resource).Namespace(ref.Namespace).Delete(ctx, ref.Name,
		metav1.DeleteOptions{Preconditions: pre, PropagationPolicy: &policy})
}

func (a metadataAPI) patch(ctx context.Context, ref objectRef, pt types.PatchType, patch []byte) error {
	_, err := a.client.Resource(ref.Resource).Namespace(ref.Namespace).Patch(ctx, ref.Name, pt, patch, metav1.PatchOptions{})
	return err
}

// finalizerPatch is the JSON merge patch that removes finalizer from
// obj's finalizers, conditioned on the resourceVersion read (the list is
// replaced whole).
func finalizerPatch(obj metav1.Object, finalizer string) []byte {
	var kept []string
	for _, f := range obj.GetFinalizers() {
		if f != finalizer {
			kept = append(kept, f)
		}
	}
	type meta struct {
		ResourceVersion string   `json:"resourceVersion"`
		Finalizers      []string `json:"finalizers"`
	}
	b, _ := json.Marshal(struct {
		Metadata meta `json:"metadata"`
	}{meta{obj.GetResourceVersion(), kept}})
	return b
}
