package node

import corev1 "k8s.io/api/core/v1"

// PodRefs lists the objects pod references, as a node needs them to run
// it: secrets and configmaps of volumes, projected volumes, environment
// and image pull secrets of every container, claims of volumes (ephemeral
// volumes' claims are named <pod>-<volume>), and its service account.
func PodRefs(pod *corev1.Pod) []Ref {
	var refs []Ref
	add := func(resource, name string) {
		if name != "" {
			refs = append(refs, Ref{Resource: resource, Namespace: pod.Namespace, Name: name})
		}
	}
	add("serviceaccounts", pod.Spec.ServiceAccountName)
	for _, s := range pod.Spec.ImagePullSecrets {
		add("secrets", s.Name)
	}
	for _, v := range pod.Spec.Volumes {
		volumeRefs(pod.Name, v, add)
	}
	for _, c := range containers(pod) {
		for _, e := range c.EnvFrom {
			if e.SecretRef != nil {
				add("secrets", e.SecretRef.Name)
			}
			if e.ConfigMapRef != nil {
				add("configmaps", e.ConfigMapRef.Name)
			}
		}
		for _, e := range c.Env {
			if f := e.ValueFrom; f != nil && f.SecretKeyRef != nil {
				add("secrets", f.SecretKeyRef.Name)
			}
			if f := e.ValueFrom; f != nil && f.ConfigMapKeyRef != nil {
				add("configmaps", f.ConfigMapKeyRef.Name)
			}
		}
	}
	return refs
}

func volumeRefs(pod string, v corev1.Volume, add func(resource, name string)) {
	switch {
	case v.Secret != nil:
		add("secrets", v.Secret.SecretName)
	case v.ConfigMap != nil:
		add("configmaps", v.ConfigMap.Name)
	case v.PersistentVolumeClaim != nil:
		add("persistentvolumeclaims", v.PersistentVolumeClaim.ClaimName)
	case v.Ephemeral != nil:
		add("persistentvolumeclaims", pod+"-"+v.Name)
	case v.Projected != nil:
		for _, s := range v.Projected.Sources {
			if s.Secret != nil {
				add("secrets", s.Secret.Name)
			}
			if s.ConfigMap != nil {
				add("configmaps", s.ConfigMap.Name)
			}
		}
	}
}

// containers are the pod's init, regular and ephemeral containers.
func containers(pod *corev1.Pod) []corev1.Container {
	cs := append(append([]corev1.Container(nil), pod.Spec.InitContainers...), pod.Spec.Containers...)
	for _, e := range pod.Spec.EphemeralContainers {
		cs = append(cs, corev1.Container(e.EphemeralContainerCommon))
	}
	return cs
}
