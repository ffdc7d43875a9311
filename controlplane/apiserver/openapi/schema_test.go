package openapi

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

const (
	core = "io.k8s.api.core.v1."
	meta = "io.k8s.apimachinery.pkg.apis.meta.v1."
)

// TestSchemas checks fragments of the generated schemas against what
// upstream's generated OpenAPI says of the same types (k8s.io/kubernetes
// api/openapi-spec/v3, v1.37): the patch metadata kubectl's apply reads,
// the list semantics server-side apply follows, formats and required
// fields.
func TestSchemas(t *testing.T) {
	tests := []struct {
		doc, schema string
		path        []string // property path inside the schema
		want        string
	}{
		{"apis/apps/v1", "io.k8s.api.apps.v1.Deployment", nil, `{
			"type": "object",
			"x-kubernetes-group-version-kind": [{"group": "apps", "version": "v1", "kind": "Deployment"}],
			"properties": {
				"apiVersion": {"type": "string"},
				"kind": {"type": "string"},
				"metadata": {"allOf": [{"$ref": "#/components/schemas/` + meta + `ObjectMeta"}]},
				"spec": {"allOf": [{"$ref": "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec"}]}
			}}`},
		{"apis/apps/v1", "io.k8s.api.apps.v1.DeploymentSpec", nil, `{"required": ["selector", "template"]}`},
		{"apis/apps/v1", "io.k8s.api.apps.v1.DeploymentSpec", []string{"strategy"}, `{
			"x-kubernetes-patch-strategy": "retainKeys",
			"allOf": [{"$ref": "#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy"}]}`},
		{"apis/apps/v1", "io.k8s.api.apps.v1.DeploymentSpec", []string{"replicas"}, `{"type": "integer", "format": "int32"}`},
		{"apis/apps/v1", "io.k8s.api.apps.v1.RollingUpdateDeployment", []string{"maxSurge"}, `{
			"allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString"}]}`},
		{"apis/apps/v1", core + "PodSpec", []string{"containers"}, `{
			"type": "array",
			"items": {"$ref": "#/components/schemas/` + core + `Container"},
			"x-kubernetes-patch-strategy": "merge",
			"x-kubernetes-patch-merge-key": "name",
			"x-kubernetes-list-type": "map",
			"x-kubernetes-list-map-keys": ["name"]}`},
		{"apis/apps/v1", core + "PodSpec", []string{"volumes"}, `{
			"x-kubernetes-patch-strategy": "merge,retainKeys",
			"x-kubernetes-patch-merge-key": "name",
			"x-kubernetes-list-type": "map",
			"x-kubernetes-list-map-keys": ["name"]}`},
		{"apis/apps/v1", core + "PodSpec", []string{"nodeSelector"}, `{
			"type": "object",
			"additionalProperties": {"type": "string"},
			"x-kubernetes-map-type": "atomic"}`},
		{"apis/apps/v1", core + "Container", nil, `{"required": ["name"]}`},
		{"apis/apps/v1", core + "Container", []string{"ports"}, `{
			"x-kubernetes-patch-strategy": "merge",
			"x-kubernetes-patch-merge-key": "containerPort",
			"x-kubernetes-list-type": "map",
			"x-kubernetes-list-map-keys": ["containerPort", "protocol"]}`},
		{"apis/apps/v1", core + "Container", []string{"args"}, `{
			"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "atomic"}`},
		{"apis/apps/v1", core + "ResourceRequirements", []string{"limits"}, `{
			"type": "object",
			"additionalProperties": {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity"}}`},
		{"apis/apps/v1", meta + "ObjectMeta", []string{"finalizers"}, `{
			"x-kubernetes-patch-strategy": "merge", "x-kubernetes-list-type": "set"}`},
		{"apis/apps/v1", meta + "ObjectMeta", []string{"ownerReferences"}, `{
			"x-kubernetes-patch-strategy": "merge",
			"x-kubernetes-patch-merge-key": "uid",
			"x-kubernetes-list-type": "map",
			"x-kubernetes-list-map-keys": ["uid"]}`},
		{"apis/apps/v1", meta + "ObjectMeta", []string{"generation"}, `{"type": "integer", "format": "int64"}`},
		{"apis/apps/v1", meta + "ObjectMeta", []string{"creationTimestamp"}, `{
			"allOf": [{"$ref": "#/components/schemas/` + meta + `Time"}]}`},
		{"apis/apps/v1", meta + "LabelSelector", nil, `{"x-kubernetes-map-type": "atomic"}`},
		{"apis/apps/v1", meta + "Time", nil, `{"type": "string", "format": "date-time"}`},
		{"apis/apps/v1", "io.k8s.apimachinery.pkg.api.resource.Quantity", nil, `{
			"oneOf": [{"type": "string"}, {"type": "number"}]}`},
		{"apis/apps/v1", "io.k8s.apimachinery.pkg.util.intstr.IntOrString", nil, `{
			"format": "int-or-string", "oneOf": [{"type": "integer"}, {"type": "string"}]}`},
		{"apis/apps/v1", "io.k8s.api.autoscaling.v1.Scale", nil, `{
			"x-kubernetes-group-version-kind": [{"group": "autoscaling", "version": "v1", "kind": "Scale"}]}`},
		{"apis/apps/v1", meta + "DeleteOptions", nil, `{
			"x-kubernetes-group-version-kind": [
				{"group": "", "version": "v1", "kind": "DeleteOptions"},
				{"group": "apps", "version": "v1", "kind": "DeleteOptions"}]}`},
		{"apis/apps/v1", core + "PersistentVolumeClaim", nil, `{
			"x-kubernetes-group-version-kind": [{"group": "", "version": "v1", "kind": "PersistentVolumeClaim"}]}`},
		{"api/v1", core + "Secret", []string{"data"}, `{
			"type": "object", "additionalProperties": {"type": "string", "format": "byte"}}`},
		{"api/v1", core + "ServiceSpec", []string{"ports"}, `{
			"x-kubernetes-patch-merge-key": "port",
			"x-kubernetes-list-map-keys": ["port", "protocol"]}`},
		{"api/v1", core + "NodeStatus", []string{"conditions"}, `{
			"x-kubernetes-patch-merge-key": "type", "x-kubernetes-list-type": "map"}`},
		{"api/v1", "io.k8s.api.policy.v1.Eviction", nil, `{
			"x-kubernetes-group-version-kind": [{"group": "policy", "version": "v1", "kind": "Eviction"}]}`},
		{"api/v1", core + "PodList", nil, `{
			"required": ["items"],
			"x-kubernetes-group-version-kind": [{"group": "", "version": "v1", "kind": "PodList"}]}`},
		{"api/v1", meta + "WatchEvent", nil, `{
			"required": ["type", "object"],
			"properties": {"object": {"allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.runtime.RawExtension"}]}}}`},
		{"apis/batch/v1", "io.k8s.api.batch.v1.JobSpec", []string{"podFailurePolicy"}, `{
			"allOf": [{"$ref": "#/components/schemas/io.k8s.api.batch.v1.PodFailurePolicy"}]}`},
		{"apis/coordination.k8s.io/v1", "io.k8s.api.coordination.v1.LeaseSpec", []string{"renewTime"}, `{
			"allOf": [{"$ref": "#/components/schemas/` + meta + `MicroTime"}]}`},
		{"apis/discovery.k8s.io/v1", "io.k8s.api.discovery.v1.EndpointSlice", []string{"endpoints"}, `{
			"type": "array", "x-kubernetes-list-type": "atomic"}`},
	}
	for _, tt := range tests {
		name := tt.doc + " " + tt.schema + " " + strings.Join(tt.path, ".")
		t.Run(name, func(t *testing.T) {
			keys := []string{"components", "schemas", tt.schema}
			for _, p := range tt.path {
				keys = append(keys, "properties", p)
			}
			got := dig(t, v3JSON(t, tt.doc), keys...)
			for _, d := range subset(name, got, mustJSON(t, tt.want)) {
				t.Error(d)
			}
		})
	}
}

// TestDescriptions checks that descriptions are the types' own SwaggerDoc.
func TestDescriptions(t *testing.T) {
	schemas := dig(t, v3JSON(t, "apis/apps/v1"), "components", "schemas")
	tests := []struct {
		path []string
		want string
	}{
		{[]string{"io.k8s.api.apps.v1.Deployment", "description"}, appsv1.Deployment{}.SwaggerDoc()[""]},
		{[]string{"io.k8s.api.apps.v1.DeploymentSpec", "properties", "strategy", "description"}, appsv1.DeploymentSpec{}.SwaggerDoc()["strategy"]},
		{[]string{core + "Container", "properties", "image", "description"}, corev1.Container{}.SwaggerDoc()["image"]},
		{[]string{"io.k8s.api.apps.v1.Deployment", "properties", "kind", "description"}, appsv1.Deployment{}.TypeMeta.SwaggerDoc()["kind"]},
		{[]string{"io.k8s.apimachinery.pkg.api.resource.Quantity", "description"}, ownDocs["io.k8s.apimachinery.pkg.api.resource.Quantity"][""]},
	}
	for _, tt := range tests {
		if tt.want == "" {
			t.Fatalf("%v: empty expectation", tt.path)
		}
		if got := dig(t, schemas, tt.path...); got != tt.want {
			t.Errorf("%v = %q, want %q", tt.path, got, tt.want)
		}
	}
}

// TestV2Schemas checks the Swagger 2.0 flavour where it differs from v3.
func TestV2Schemas(t *testing.T) {
	defs := dig(t, v2JSON(t), "definitions")
	tests := []struct {
		path []string
		want string
	}{
		{[]string{"io.k8s.api.apps.v1.DeploymentSpec", "properties", "strategy"}, `{
			"$ref": "#/definitions/io.k8s.api.apps.v1.DeploymentStrategy",
			"x-kubernetes-patch-strategy": "retainKeys"}`},
		{[]string{"io.k8s.apimachinery.pkg.util.intstr.IntOrString"}, `{"type": "string", "format": "int-or-string"}`},
		{[]string{"io.k8s.apimachinery.pkg.api.resource.Quantity"}, `{"type": "string"}`},
		{[]string{core + "PodSpec", "properties", "containers"}, `{
			"items": {"$ref": "#/definitions/` + core + `Container"},
			"x-kubernetes-patch-merge-key": "name"}`},
		{[]string{"io.k8s.api.batch.v1.CronJob"}, `{
			"x-kubernetes-group-version-kind": [{"group": "batch", "version": "v1", "kind": "CronJob"}]}`},
	}
	for _, tt := range tests {
		name := strings.Join(tt.path, ".")
		for _, d := range subset(name, dig(t, defs, tt.path...), mustJSON(t, tt.want)) {
			t.Error(d)
		}
	}
}
