// Package apiserver is the HTTP side of `skiff server`: a Kubernetes API
// that the real kubectl and client-go drive unmodified.
//
// A request goes through one chain (Server.ServeHTTP): metrics and
// logging; the public paths (/healthz, /livez, /readyz, /version); then
// authentication (auth.Authenticator, 401 when it finds no user) and
// authorization (auth.Authorizer, 403); then either a non-resource path
// (discovery, /openapi, /metrics) or a resource path, parsed as
// kube-apiserver does (requestInfo) and handed to the kind's
// registry.Store with one call per verb (resource.go).
//
// Representation: JSON only. Accept picks the object itself, a
// meta.k8s.io Table (kubectl get; columns from the kind's strategy),
// PartialObjectMetadata, or aggregated discovery (apidiscovery.k8s.io/v2);
// protobuf is skipped in Accept, never answered with 406. Errors are
// always meta.k8s.io Status objects (response.go).
//
// OpenAPI is served by whatever http.Handler Config.OpenAPI holds, for
// /openapi/v2 and /openapi/v3[/…]; kubectl's client-side validation and
// `kubectl edit` need it.
package apiserver
