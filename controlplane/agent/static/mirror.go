package static

import (
	"context"
	"errors"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Mirrors keeps the mirror pods of the node's static pods.
type Mirrors struct {
	client kubernetes.Interface
	// Node is the Node the mirrors are owned by (nil: no owner yet).
	Node func() *corev1.Node
}

// NewMirrors returns a Mirrors writing through client.
func NewMirrors(client kubernetes.Interface, node func() *corev1.Node) *Mirrors {
	return &Mirrors{client: client, Node: node}
}

// Mirror is the mirror pod of static pod p, as created.
func (m *Mirrors) Mirror(p *corev1.Pod) *corev1.Pod {
	mp := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, Labels: maps.Clone(p.Labels), Annotations: maps.Clone(p.Annotations)},
		Spec:       *p.Spec.DeepCopy(),
	}
	mp.Annotations[AnnotationMirror] = p.Annotations[AnnotationHash]
	if n := m.Node(); n != nil {
		// Controlled by the node, as NodeRestriction requires of a node's
		// mirror pods.
		controller := true
		mp.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: n.Name, UID: n.UID, Controller: &controller}}
	}
	return mp
}

// Sync makes the mirror pods in the API (mirrors, from the agent's pod
// cache) match the static pods: create the missing, replace the
// outdated and deleted, delete the orphaned.
func (m *Mirrors) Sync(ctx context.Context, static, mirrors []*corev1.Pod) error {
	want := map[string]*corev1.Pod{}
	for _, p := range static {
		want[p.Namespace+"/"+p.Name] = p
	}
	have := map[string]*corev1.Pod{}
	var errs []error
	for _, mp := range mirrors {
		key := mp.Namespace + "/" + mp.Name
		p, ok := want[key]
		if ok && mp.DeletionTimestamp == nil && mp.Annotations[AnnotationMirror] == p.Annotations[AnnotationHash] {
			have[key] = mp
			continue
		}
		if err := m.delete(ctx, mp); err != nil {
			errs = append(errs, err)
		}
	}
	for key, p := range want {
		if have[key] != nil {
			continue
		}
		_, err := m.client.CoreV1().Pods(p.Namespace).Create(ctx, m.Mirror(p), metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			errs = append(errs, fmt.Errorf("create mirror pod %s: %w", key, err))
		}
	}
	return errors.Join(errs...)
}

// delete removes a mirror pod at once (its static pod, not the API, owns
// the containers).
func (m *Mirrors) delete(ctx context.Context, mp *corev1.Pod) error {
	zero := int64(0)
	err := m.client.CoreV1().Pods(mp.Namespace).Delete(ctx, mp.Name, metav1.DeleteOptions{
		GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &mp.UID}})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("delete mirror pod %s/%s: %w", mp.Namespace, mp.Name, err)
	}
	return nil
}
