package openapi

import (
	"slices"

	"k8s.io/kube-openapi/pkg/validation/spec"
)

// What both renderers share: the schemas of bodies and answers, and their
// media types.

// answer is the schema of an operation's successful answer in each of
// its media types.
func (b *builder) answer(op operation) map[string]spec.Schema {
	switch {
	case op.result == nil && op.action == "connect":
		return map[string]spec.Schema{mediaAny: scalar("string", "")}
	case op.result == nil:
		return map[string]spec.Schema{mediaText: scalar("string", "")}
	case op.action == "list" && hasParam(op.query, watch.name):
		return map[string]spec.Schema{mediaJSON: b.ref(op.result), mediaWatch: b.ref(watchEventType)}
	}
	return map[string]spec.Schema{mediaJSON: b.ref(op.result)}
}

// byMethod picks, among the operation slots of a path, the one for method.
func byMethod[O any](method string, get, put, post, patch, del *O) *O {
	return map[string]*O{"get": get, "put": put, "post": post, "patch": patch, "delete": del}[method]
}

// bodyMedia are the media types an operation's body may have.
func bodyMedia(op operation) []string {
	if op.method == "patch" {
		return patchMedia
	}
	return []string{mediaAny}
}

func hasParam(params []param, name string) bool {
	return slices.ContainsFunc(params, func(p param) bool { return p.name == name })
}
