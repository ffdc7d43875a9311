package endpointslice

import (
	"context"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// api writes EndpointSlices through the API server.
type api interface {
	create(ctx context.Context, s *discoveryv1.EndpointSlice) error
	update(ctx context.Context, s *discoveryv1.EndpointSlice) error
	delete(ctx context.Context, s *discoveryv1.EndpointSlice) error
}

type clientAPI struct{ client kubernetes.Interface }

func (a clientAPI) create(ctx context.Context, s *discoveryv1.EndpointSlice) error {
	_, err := a.client.DiscoveryV1().EndpointSlices(s.Namespace).Create(ctx, s, metav1.CreateOptions{})
	return err
}

func (a clientAPI) update(ctx context.Context, s *discoveryv1.EndpointSlice) error {
	_, err := a.client.DiscoveryV1().EndpointSlices(s.Namespace).Update(ctx, s, metav1.UpdateOptions{})
	return err
}

// delete deletes s if it is still the object read (same uid).
func (a clientAPI) delete(ctx context.Context, s *discoveryv1.EndpointSlice) error {
	return a.client.DiscoveryV1().EndpointSlices(s.Namespace).Delete(ctx, s.Name, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{UID: &s.UID},
	})
}
