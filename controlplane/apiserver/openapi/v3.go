package openapi

import (
	"k8s.io/kube-openapi/pkg/spec3"
	"k8s.io/kube-openapi/pkg/validation/spec"
	"net/http"
)

// info and the bearer token scheme are what kube-apiserver declares.
var info = &spec.Info{InfoProps: spec.InfoProps{Title: "Kubernetes", Version: "unversioned"}}

const (
	bearerToken       = "BearerToken"
	bearerDescription = "Bearer token authentication"
)

var security = []map[string][]string{{bearerToken: {}}}

// v3Document renders the OpenAPI 3.0 document of one group version: its
// paths, and the schemas they reach.
func v3Document(routes *routeSet, lists listTypes, kinds kindsByName) *spec3.OpenAPI {
	b := newBuilder(true, lists, kinds)
	b.stampMeta(routes.gv)
	paths := make(map[string]*spec3.Path, len(routes.order))
	for _, r := range routes.order {
		paths[r.path] = v3Path(b, r, tag(routes.gv))
	}
	defs := b.definitions()
	schemas := make(map[string]*spec.Schema, len(defs))
	for name := range defs {
		s := defs[name]
		schemas[name] = &s
	}
	return &spec3.OpenAPI{
		Version: "3.0.0",
		Info:    info,
		Paths:   &spec3.Paths{Paths: paths},
		Components: &spec3.Components{
			Schemas: schemas,
			SecuritySchemes: spec3.SecuritySchemes{bearerToken: &spec3.SecurityScheme{
				SecuritySchemeProps: spec3.SecuritySchemeProps{
					Type: "apiKey", Name: "authorization", In: "header",
					Description: bearerDescription,
				},
			}},
		},
		SecurityRequirement: security,
	}
}

func v3Path(b *builder, r *route, tag string) *spec3.Path {
	p := &spec3.Path{PathProps: spec3.PathProps{Parameters: v3Params(r.params)}}
	for _, op := range r.ops {
		*byMethod(op.method, &p.Get, &p.Put, &p.Post, &p.Patch, &p.Delete) = v3Operation(b, op, tag)
	}
	return p
}

func v3Operation(b *builder, op operation, tag string) *spec3.Operation {
	o := &spec3.Operation{OperationProps: spec3.OperationProps{
		Description: op.summary,
		OperationId: op.id,
		Tags:        []string{tag},
		Parameters:  v3Params(op.query),
		Responses:   &spec3.Responses{ResponsesProps: spec3.ResponsesProps{StatusCodeResponses: map[int]*spec3.Response{}}},
	}}
	if op.body != nil {
		o.RequestBody = &spec3.RequestBody{RequestBodyProps: spec3.RequestBodyProps{
			Content:  v3Content(b.ref(op.body), bodyMedia(op)...),
			Required: true,
		}}
	}
	content := map[string]*spec3.MediaType{}
	for media, s := range b.answer(op) {
		content[media] = &spec3.MediaType{MediaTypeProps: spec3.MediaTypeProps{Schema: &s}}
	}
	for _, code := range op.codes {
		o.Responses.StatusCodeResponses[code] = &spec3.Response{ResponseProps: spec3.ResponseProps{
			Description: http.StatusText(code),
			Content:     content,
		}}
	}
	o.Responses.StatusCodeResponses[401] = &spec3.Response{ResponseProps: spec3.ResponseProps{Description: http.StatusText(401)}}
	if op.action != "" {
		o.AddExtension(extAction, op.action)
	}
	if !op.gvk.Empty() {
		o.AddExtension(extGVK, gvkMap(op.gvk))
	}
	return o
}

func v3Content(s spec.Schema, media ...string) map[string]*spec3.MediaType {
	out := make(map[string]*spec3.MediaType, len(media))
	for _, m := range media {
		out[m] = &spec3.MediaType{MediaTypeProps: spec3.MediaTypeProps{Schema: &s}}
	}
	return out
}

func v3Params(params []param) []*spec3.Parameter {
	out := make([]*spec3.Parameter, 0, len(params))
	for _, p := range params {
		out = append(out, &spec3.Parameter{ParameterProps: spec3.ParameterProps{
			Name:        p.name,
			In:          p.in,
			Description: p.desc,
			Required:    p.required,
			Schema:      &spec.Schema{SchemaProps: spec.SchemaProps{Type: spec.StringOrArray{p.typ}}},
		}})
	}
	return out
}
