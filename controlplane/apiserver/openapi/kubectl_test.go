package openapi

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/openapi/cached"
	"k8s.io/client-go/openapi3"
	"k8s.io/client-go/rest"
	"k8s.io/kube-openapi/pkg/spec3"
	"k8s.io/kube-openapi/pkg/validation/spec"
	explainv1 "k8s.io/kubectl/pkg/explain"
	explainv2 "k8s.io/kubectl/pkg/explain/v2"
	kubectlopenapi "k8s.io/kubectl/pkg/util/openapi"
)

// The tests below read the documents over HTTP through the clients kubectl
// uses (client-go's discovery and OpenAPI clients), and feed them to the
// kubectl and apimachinery code that consumes them.

func discoveryClient(t *testing.T) *discovery.DiscoveryClient {
	t.Helper()
	srv := httptest.NewServer(documents(t))
	t.Cleanup(srv.Close)
	dc, err := discovery.NewDiscoveryClientForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return dc
}

// TestEveryKindForKubectl checks, for every kind, what kubectl looks for
// in its group version's document: a schema stamped with the kind (explain,
// apply), and create, replace and patch operations that declare
// fieldValidation (cli-runtime's query_param_verifier_v3.go: without it
// kubectl validates on the client), with strategic merge patch offered
// (apply's patcher.go).
func TestEveryKindForKubectl(t *testing.T) {
	root := openapi3.NewRoot(cached.NewClient(discoveryClient(t).OpenAPIV3()))
	gvs, err := root.GroupVersions()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range testKinds() {
		t.Run(k.GVK.String(), func(t *testing.T) {
			if !slices.Contains(gvs, k.GVK.GroupVersion()) {
				t.Fatalf("%s not in the index %v", k.GVK.GroupVersion(), gvs)
			}
			doc, err := root.GVSpec(k.GVK.GroupVersion())
			if err != nil {
				t.Fatal(err)
			}
			if schemaOfKind(doc, k.GVK) == nil {
				t.Errorf("no schema stamped %s", k.GVK)
			}
			if k.List != nil && schemaOfKind(doc, k.GVK.GroupVersion().WithKind(k.GVK.Kind+"List")) == nil {
				t.Errorf("no schema stamped %sList", k.GVK.Kind)
			}
			checkWrites(t, doc, k)
		})
	}
}

func checkWrites(t *testing.T, doc *spec3.OpenAPI, k Kind) {
	t.Helper()
	var patches int
	for path, p := range doc.Paths.Paths {
		for _, op := range []*spec3.Operation{p.Post, p.Put, p.Patch} {
			if op == nil || !opActsOn(op, k.GVK) {
				continue
			}
			if !slices.ContainsFunc(op.Parameters, func(p *spec3.Parameter) bool {
				return p.Name == "fieldValidation" && p.In == "query"
			}) {
				t.Errorf("%s %s: no fieldValidation parameter", op.OperationId, path)
			}
		}
		if p.Patch == nil || !opActsOn(p.Patch, k.GVK) {
			continue
		}
		patches++
		if _, ok := p.Patch.RequestBody.Content[mediaStrategic]; !ok {
			t.Errorf("%s %s: strategic merge patch not offered", p.Patch.OperationId, path)
		}
	}
	if want := k.can("patch"); want != (patches > 0) {
		t.Errorf("%d PATCH operations, want some: %v", patches, want)
	}
}

func opActsOn(op *spec3.Operation, gvk schema.GroupVersionKind) bool {
	var got map[string]string
	return op.Extensions.GetObject(extGVK, &got) == nil &&
		got["group"] == gvk.Group && got["version"] == gvk.Version && got["kind"] == gvk.Kind
}

// schemaOfKind finds the schema stamped with gvk, as kubectl apply does.
func schemaOfKind(doc *spec3.OpenAPI, gvk schema.GroupVersionKind) *spec.Schema {
	for _, s := range doc.Components.Schemas {
		var gvks []map[string]string
		if s.Extensions.GetObject(extGVK, &gvks) != nil {
			continue
		}
		for _, g := range gvks {
			if g["group"] == gvk.Group && g["version"] == gvk.Version && g["kind"] == gvk.Kind {
				return s
			}
		}
	}
	return nil
}

// TestExplain renders `kubectl explain deployment.spec.strategy` with
// kubectl's own code, from v3 and from v2 (--output plaintext-openapiv2).
func TestExplain(t *testing.T) {
	dc := discoveryClient(t)
	deployments := appsv1.SchemeGroupVersion.WithResource("deployments")
	var v3 bytes.Buffer
	if err := explainv2.PrintModelDescription([]string{"spec", "strategy"}, &v3, dc.OpenAPIV3(), deployments, false, 0, "plaintext"); err != nil {
		t.Fatal(err)
	}
	resources := v2Resources(t, dc)
	gvk := appsv1.SchemeGroupVersion.WithKind("Deployment")
	var v2 bytes.Buffer
	if err := explainv1.PrintModelDescription([]string{"spec", "strategy"}, &v2, resources.LookupResource(gvk), gvk, false, 0); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"v3": v3.String(), "v2": v2.String()} {
		field := map[string]string{"v3": "FIELD: strategy <DeploymentStrategy>", "v2": "RESOURCE: strategy <Object>"}[name]
		for _, want := range []string{"Deployment", "VERSION:", field, "rollingUpdate\t<", "type\t<string>"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s explain lacks %q:\n%s", name, want, out)
			}
		}
	}
	var pod bytes.Buffer
	pods := corev1.SchemeGroupVersion.WithResource("pods")
	if err := explainv2.PrintModelDescription([]string{"spec", "containers", "ports"}, &pod, dc.OpenAPIV3(), pods, false, 0, "plaintext"); err != nil {
		t.Fatal(err)
	}
	if want := "containerPort\t<integer> -required-"; !strings.Contains(pod.String(), want) {
		t.Errorf("explain pod.spec.containers.ports lacks %q:\n%s", want, pod.String())
	}
}

// v2Resources reads /openapi/v2 as kubectl does: protobuf, through
// discovery, parsed by kubectl's OpenAPI models.
func v2Resources(t *testing.T, dc *discovery.DiscoveryClient) kubectlopenapi.Resources {
	t.Helper()
	doc, err := dc.OpenAPISchema()
	if err != nil {
		t.Fatal(err)
	}
	resources, err := kubectlopenapi.NewOpenAPIData(doc)
	if err != nil {
		t.Fatal(err)
	}
	return resources
}

// TestClientSideApplyPatch builds the patch of a client-side apply the way
// kubectl does (apply/patcher.go), from v3 and from v2, and checks it is
// the patch the Go types' own tags give: containers merged by name, a
// container someone else added kept.
func TestClientSideApplyPatch(t *testing.T) {
	original := deploymentJSON(t, newContainer("web", "nginx:1"))
	modified := deploymentJSON(t, newContainer("web", "nginx:2"), newContainer("log", "busybox"))
	current := deploymentJSON(t, newContainer("web", "nginx:1"), newContainer("sidecar", "envoy"))

	byStruct, err := strategicpatch.NewPatchMetaFromStruct(appsv1.Deployment{})
	if err != nil {
		t.Fatal(err)
	}
	want := threeWay(t, original, modified, current, byStruct)

	dc := discoveryClient(t)
	gvk := appsv1.SchemeGroupVersion.WithKind("Deployment")
	doc, err := openapi3.NewRoot(cached.NewClient(dc.OpenAPIV3())).GVSpec(gvk.GroupVersion())
	if err != nil {
		t.Fatal(err)
	}
	v3 := strategicpatch.PatchMetaFromOpenAPIV3{Schema: schemaOfKind(doc, gvk), SchemaList: doc.Components.Schemas}
	resources := v2Resources(t, dc)
	if consumes := resources.GetConsumes(gvk, "PATCH"); !slices.Contains(consumes, mediaStrategic) {
		t.Errorf("v2 PATCH consumes %v, lacks %s", consumes, mediaStrategic)
	}
	v2 := strategicpatch.NewPatchMetaFromOpenAPI(resources.LookupResource(gvk))
	for name, meta := range map[string]strategicpatch.LookupPatchMeta{"v3": v3, "v2": v2} {
		if got := threeWay(t, original, modified, current, meta); got != want {
			t.Errorf("%s patch:\n%s\nwant (from the Go types):\n%s", name, got, want)
		}
	}

	merged, err := strategicpatch.StrategicMergePatchUsingLookupPatchMeta(current, []byte(want), v3)
	if err != nil {
		t.Fatal(err)
	}
	var d appsv1.Deployment
	if err := json.Unmarshal(merged, &d); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range d.Spec.Template.Spec.Containers {
		got = append(got, c.Name+"="+c.Image)
	}
	if w := []string{"web=nginx:2", "log=busybox", "sidecar=envoy"}; !slices.Equal(got, w) {
		t.Errorf("containers after apply = %v, want %v", got, w)
	}
}

func threeWay(t *testing.T, original, modified, current []byte, meta strategicpatch.LookupPatchMeta) string {
	t.Helper()
	patch, err := strategicpatch.CreateThreeWayMergePatch(original, modified, current, meta, false)
	if err != nil {
		t.Fatal(err)
	}
	return string(patch)
}

func newContainer(name, image string) corev1.Container {
	return corev1.Container{Name: name, Image: image, Ports: []corev1.ContainerPort{{ContainerPort: 80}}}
}

func deploymentJSON(t *testing.T, containers ...corev1.Container) []byte {
	t.Helper()
	labels := map[string]string{"app": "web"}
	b, err := json.Marshal(appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: containers},
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
