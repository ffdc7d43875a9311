package openapi

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

func TestNewRejects(t *testing.T) {
	deployments := func(change func(*Kind)) Kind {
		k := kind(appsv1.SchemeGroupVersion, "Deployment", "deployments", true, &appsv1.Deployment{}, &appsv1.DeploymentList{})
		change(&k)
		return k
	}
	tests := []struct {
		name string
		kind Kind
		want string
	}{
		{"no resource", deployments(func(k *Kind) { k.Resource = "" }), "resource"},
		{"no kind", deployments(func(k *Kind) { k.GVK.Kind = "" }), "kind"},
		{"no object", deployments(func(k *Kind) { k.Object = nil }), "Object"},
		{"listed without a list", deployments(func(k *Kind) { k.List = nil }), "List"},
		{"unknown verb", deployments(func(k *Kind) { k.Verbs = []string{"get", "frob"} }), `"frob"`},
		{"unknown subresource", deployments(func(k *Kind) { k.Subresources = []string{"proxy"} }), `"proxy"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New([]Kind{tt.kind})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: %v, want an error about %s", err, tt.want)
			}
		})
	}
}

// TestRoutes checks the paths and operations of a namespaced kind with
// subresources and of a cluster-scoped one, as kube-apiserver names them.
func TestRoutes(t *testing.T) {
	d, err := New([]Kind{
		kind(appsv1.SchemeGroupVersion, "Deployment", "deployments", true, &appsv1.Deployment{}, &appsv1.DeploymentList{}, "status", "scale"),
		{GVK: corev1.SchemeGroupVersion.WithKind("Node"), Resource: "nodes", Verbs: []string{"get", "list"},
			Object: &corev1.Node{}, List: &corev1.NodeList{}},
		kind(corev1.SchemeGroupVersion, "Pod", "pods", true, &corev1.Pod{}, &corev1.PodList{}, "log", "exec", "eviction"),
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, routes := range d.groups {
		for _, r := range routes.order {
			for _, op := range r.ops {
				got[op.method+" "+r.path+" "+op.id+" "+op.action+" "+op.gvk.Kind] = true
			}
		}
	}
	want := []string{
		"get /apis/apps/v1/ getAppsV1APIResources  ",
		"get /apis/apps/v1/namespaces/{namespace}/deployments listAppsV1NamespacedDeployment list Deployment",
		"get /apis/apps/v1/deployments listAppsV1DeploymentForAllNamespaces list Deployment",
		"post /apis/apps/v1/namespaces/{namespace}/deployments createAppsV1NamespacedDeployment post Deployment",
		"delete /apis/apps/v1/namespaces/{namespace}/deployments deleteAppsV1CollectionNamespacedDeployment deletecollection Deployment",
		"get /apis/apps/v1/namespaces/{namespace}/deployments/{name} readAppsV1NamespacedDeployment get Deployment",
		"put /apis/apps/v1/namespaces/{namespace}/deployments/{name} replaceAppsV1NamespacedDeployment put Deployment",
		"patch /apis/apps/v1/namespaces/{namespace}/deployments/{name} patchAppsV1NamespacedDeployment patch Deployment",
		"delete /apis/apps/v1/namespaces/{namespace}/deployments/{name} deleteAppsV1NamespacedDeployment delete Deployment",
		"patch /apis/apps/v1/namespaces/{namespace}/deployments/{name}/status patchAppsV1NamespacedDeploymentStatus patch Deployment",
		"get /apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale readAppsV1NamespacedDeploymentScale get Scale",
		"patch /apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale patchAppsV1NamespacedDeploymentScale patch Scale",
		"put /apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale replaceAppsV1NamespacedDeploymentScale put Scale",
		"get /api/v1/nodes listCoreV1Node list Node",
		"get /api/v1/nodes/{name} readCoreV1Node get Node",
		"get /api/v1/namespaces/{namespace}/pods/{name}/log readCoreV1NamespacedPodLog get Pod",
		"get /api/v1/namespaces/{namespace}/pods/{name}/exec connectCoreV1GetNamespacedPodExec connect PodExecOptions",
		"post /api/v1/namespaces/{namespace}/pods/{name}/exec connectCoreV1PostNamespacedPodExec connect PodExecOptions",
		"post /api/v1/namespaces/{namespace}/pods/{name}/eviction createCoreV1NamespacedPodEviction post Eviction",
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("missing %q", w)
		}
	}
	for g := range got {
		if strings.Contains(g, "/nodes") && (strings.HasPrefix(g, "put ") || strings.HasPrefix(g, "delete ")) {
			t.Errorf("node route %q for a verb the kind lacks", g)
		}
	}
}

func TestGVID(t *testing.T) {
	tests := []struct{ group, version, id, tag string }{
		{"", "v1", "CoreV1", "core_v1"},
		{"apps", "v1", "AppsV1", "apps_v1"},
		{"discovery.k8s.io", "v1", "DiscoveryV1", "discovery_v1"},
		{"rbac.authorization.k8s.io", "v1beta1", "RbacAuthorizationV1beta1", "rbacAuthorization_v1beta1"},
	}
	for _, tt := range tests {
		gv := appsv1.SchemeGroupVersion
		gv.Group, gv.Version = tt.group, tt.version
		if got := gvID(gv); got != tt.id {
			t.Errorf("gvID(%v) = %q, want %q", gv, got, tt.id)
		}
		if got := tag(gv); got != tt.tag {
			t.Errorf("tag(%v) = %q, want %q", gv, got, tt.tag)
		}
	}
}
