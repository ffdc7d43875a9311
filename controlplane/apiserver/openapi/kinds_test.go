package openapi

import (
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var allVerbs = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}

func kind(gv schema.GroupVersion, kind, resource string, namespaced bool, obj, list runtime.Object, subs ...string) Kind {
	return Kind{
		GVK: gv.WithKind(kind), Resource: resource, Namespaced: namespaced,
		Verbs: allVerbs, Subresources: subs, Object: obj, List: list,
	}
}

// testKinds are the kinds of issue 13, as skiff's API server serves them.
func testKinds() []Kind {
	core, apps, batch := corev1.SchemeGroupVersion, appsv1.SchemeGroupVersion, batchv1.SchemeGroupVersion
	return []Kind{
		kind(core, "Namespace", "namespaces", false, &corev1.Namespace{}, &corev1.NamespaceList{}, "status"),
		kind(core, "Pod", "pods", true, &corev1.Pod{}, &corev1.PodList{},
			"status", "binding", "eviction", "log", "exec", "attach", "portforward"),
		kind(core, "Node", "nodes", false, &corev1.Node{}, &corev1.NodeList{}, "status"),
		kind(core, "Service", "services", true, &corev1.Service{}, &corev1.ServiceList{}, "status"),
		kind(core, "Endpoints", "endpoints", true, &corev1.Endpoints{}, &corev1.EndpointsList{}),
		kind(core, "ConfigMap", "configmaps", true, &corev1.ConfigMap{}, &corev1.ConfigMapList{}),
		kind(core, "Secret", "secrets", true, &corev1.Secret{}, &corev1.SecretList{}),
		kind(core, "ServiceAccount", "serviceaccounts", true, &corev1.ServiceAccount{}, &corev1.ServiceAccountList{}),
		kind(core, "Event", "events", true, &corev1.Event{}, &corev1.EventList{}),
		kind(core, "PersistentVolumeClaim", "persistentvolumeclaims", true,
			&corev1.PersistentVolumeClaim{}, &corev1.PersistentVolumeClaimList{}, "status"),
		{GVK: core.WithKind("Binding"), Resource: "bindings", Namespaced: true, Verbs: []string{"create"}, Object: &corev1.Binding{}},
		kind(apps, "Deployment", "deployments", true, &appsv1.Deployment{}, &appsv1.DeploymentList{}, "status", "scale"),
		kind(apps, "ReplicaSet", "replicasets", true, &appsv1.ReplicaSet{}, &appsv1.ReplicaSetList{}, "status", "scale"),
		kind(apps, "StatefulSet", "statefulsets", true, &appsv1.StatefulSet{}, &appsv1.StatefulSetList{}, "status", "scale"),
		kind(apps, "DaemonSet", "daemonsets", true, &appsv1.DaemonSet{}, &appsv1.DaemonSetList{}, "status"),
		kind(apps, "ControllerRevision", "controllerrevisions", true, &appsv1.ControllerRevision{}, &appsv1.ControllerRevisionList{}),
		kind(batch, "Job", "jobs", true, &batchv1.Job{}, &batchv1.JobList{}, "status"),
		kind(batch, "CronJob", "cronjobs", true, &batchv1.CronJob{}, &batchv1.CronJobList{}, "status"),
		kind(discoveryv1.SchemeGroupVersion, "EndpointSlice", "endpointslices", true,
			&discoveryv1.EndpointSlice{}, &discoveryv1.EndpointSliceList{}),
		kind(coordinationv1.SchemeGroupVersion, "Lease", "leases", true, &coordinationv1.Lease{}, &coordinationv1.LeaseList{}),
		kind(eventsv1.SchemeGroupVersion, "Event", "events", true, &eventsv1.Event{}, &eventsv1.EventList{}),
	}
}
