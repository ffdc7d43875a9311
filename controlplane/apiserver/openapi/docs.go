package openapi

import "reflect"

// typeDocs returns the descriptions of type t and of its JSON fields, keyed
// by field name ("" for the type itself), from the SwaggerDoc method that
// k8s.io/api and apimachinery generate for their types. The few types
// without one are described below.
func typeDocs(t reflect.Type) map[string]string {
	if d, ok := reflect.New(t).Interface().(interface{ SwaggerDoc() map[string]string }); ok {
		return d.SwaggerDoc()
	}
	return ownDocs[modelName(t)]
}

// ownDocs describes the apimachinery types that have no SwaggerDoc.
var ownDocs = map[string]map[string]string{
	"io.k8s.apimachinery.pkg.apis.meta.v1.Time": {
		"": "Time is a timestamp in RFC 3339 form, in UTC, with second precision.",
	},
	"io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": {
		"": "MicroTime is a timestamp in RFC 3339 form, in UTC, with microsecond precision.",
	},
	"io.k8s.apimachinery.pkg.apis.meta.v1.Duration": {
		"": "Duration is a time span written as Go's time.ParseDuration reads it, such as \"1h30m\".",
	},
	"io.k8s.apimachinery.pkg.api.resource.Quantity": {
		"": "Quantity is an exact decimal amount with an optional unit suffix: " +
			"binary (Ki, Mi, Gi, Ti, Pi, Ei), decimal (m, k, M, G, T, P, E) or an exponent (e3, E-2). " +
			"Examples: \"500m\" (half a CPU), \"128Mi\", \"1.5Gi\", \"2\".",
	},
	"io.k8s.apimachinery.pkg.util.intstr.IntOrString": {
		"": "IntOrString holds either an integer or a string, such as a port number or a port name, or a count or a percentage.",
	},
	"io.k8s.apimachinery.pkg.runtime.RawExtension": {
		"": "RawExtension holds a complete embedded object, with its own apiVersion and kind.",
	},
	"io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent": {
		"":       "WatchEvent is one event of a watch stream.",
		"type":   "Type of the event: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.",
		"object": "Object is the object the event is about; for ERROR, a Status; for BOOKMARK, an object of the watched kind carrying only its resourceVersion.",
	},
}
