// Package openapi generates and serves the OpenAPI documents of skiff's
// API server: /openapi/v3 (an index, then one OpenAPI 3.0 document per
// group version) and /openapi/v2 (Swagger 2.0).
//
// kubectl depends on them. It validates with the server only where a
// kind's PATCH operation declares the fieldValidation parameter; it builds
// the strategic merge patches of client-side apply from the
// x-kubernetes-patch-strategy and -merge-key of the schemas; `kubectl
// explain` renders the schemas, found by x-kubernetes-group-version-kind.
//
// Nothing is copied from upstream's generated files. The schemas come from
// the Go types by reflection: named structs become definitions named as
// upstream names them (io.k8s.api.apps.v1.Deployment), with descriptions
// from the types' SwaggerDoc methods, patch metadata from their struct
// tags, required fields from their JSON tags, and the scalar types of
// apimachinery (Time, Quantity, IntOrString) from the OpenAPI methods those
// declare. List and map semantics (x-kubernetes-list-type, -list-map-keys,
// -map-type) come from the structured-merge-diff schema that client-go
// embeds. The paths and operations come from the kinds the server lists:
// their verbs and subresources.
//
// The caller wires it explicitly:
//
//	docs, err := openapi.New([]openapi.Kind{{
//		GVK: appsv1.SchemeGroupVersion.WithKind("Deployment"), Resource: "deployments",
//		Namespaced: true, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"},
//		Subresources: []string{"status", "scale"},
//		Object: &appsv1.Deployment{}, List: &appsv1.DeploymentList{},
//	}})
//	mux.Handle("/openapi/", docs)
//
// What differs from kube-apiserver's documents, checked against them by
// TestUpstreamOracle: what upstream learns from comment markers, which run
// time cannot see — +required and +optional where they overrule the JSON
// tags (Deployment.spec is required upstream), +enum values and +default
// values; paths list only the verbs, query parameters and media types the
// server has, and no deprecated /watch/ paths.
//
// Each document is generated on its first request, once, and only its
// gzipped bytes are kept. Answers carry an ETag (the SHA-512 of the JSON,
// as kube-apiserver's) and honour If-None-Match; a v3 group version linked
// with its current hash may be cached for good. JSON is the default form;
// the protobuf form of github.com/google/gnostic-models, which client-go
// asks for at /openapi/v2, is made on demand.
package openapi
