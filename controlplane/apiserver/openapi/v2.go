package openapi

import (
	"maps"
	"net/http"
	"slices"

	"k8s.io/kube-openapi/pkg/validation/spec"
)

// v2Document renders the Swagger 2.0 document of every group version, as
// /openapi/v2 serves it: kubectl falls back to it when v3 fails, and
// reads it for `explain --output plaintext-openapiv2`.
func v2Document(groups []*routeSet, lists listTypes, kinds kindsByName) *spec.Swagger {
	b := newBuilder(false, lists, kinds)
	paths := map[string]spec.PathItem{}
	for _, routes := range groups {
		b.stampMeta(routes.gv)
		for _, r := range routes.order {
			paths[r.path] = v2Path(b, r, tag(routes.gv))
		}
	}
	return &spec.Swagger{SwaggerProps: spec.SwaggerProps{
		Swagger:     "2.0",
		Info:        info,
		Paths:       &spec.Paths{Paths: paths},
		Definitions: b.definitions(),
		SecurityDefinitions: spec.SecurityDefinitions{
			bearerToken: &spec.SecurityScheme{SecuritySchemeProps: spec.SecuritySchemeProps{
				Type: "apiKey", Name: "authorization", In: "header",
				Description: bearerDescription,
			}},
		},
		Security: security,
	}}
}

func v2Path(b *builder, r *route, tag string) spec.PathItem {
	p := spec.PathItem{PathItemProps: spec.PathItemProps{Parameters: v2Params(r.params)}}
	for _, op := range r.ops {
		*byMethod(op.method, &p.Get, &p.Put, &p.Post, &p.Patch, &p.Delete) = v2Operation(b, op, tag)
	}
	return p
}

func v2Operation(b *builder, op operation, tag string) *spec.Operation {
	answers := b.answer(op)
	media := slices.Sorted(maps.Keys(answers))
	answer := answers[media[0]]
	o := &spec.Operation{OperationProps: spec.OperationProps{
		Description: op.summary,
		ID:          op.id,
		Tags:        []string{tag},
		Schemes:     []string{"https"},
		Produces:    media,
		Parameters:  v2Params(op.query),
		Responses:   &spec.Responses{ResponsesProps: spec.ResponsesProps{StatusCodeResponses: map[int]spec.Response{}}},
	}}
	if op.body != nil {
		o.Consumes = bodyMedia(op)
		body := b.ref(op.body)
		bodyParam := spec.Parameter{ParamProps: spec.ParamProps{Name: "body", In: "body", Required: true, Schema: &body}}
		o.Parameters = append([]spec.Parameter{bodyParam}, o.Parameters...)
	}
	for _, code := range op.codes {
		o.Responses.StatusCodeResponses[code] = spec.Response{ResponseProps: spec.ResponseProps{
			Description: http.StatusText(code),
			Schema:      &answer,
		}}
	}
	o.Responses.StatusCodeResponses[401] = spec.Response{ResponseProps: spec.ResponseProps{Description: http.StatusText(401)}}
	if op.action != "" {
		o.AddExtension(extAction, op.action)
	}
	if !op.gvk.Empty() {
		o.AddExtension(extGVK, gvkMap(op.gvk))
	}
	return o
}

func v2Params(params []param) []spec.Parameter {
	out := make([]spec.Parameter, 0, len(params))
	for _, p := range params {
		out = append(out, spec.Parameter{
			ParamProps:   spec.ParamProps{Name: p.name, In: p.in, Description: p.desc, Required: p.required},
			SimpleSchema: spec.SimpleSchema{Type: p.typ},
		})
	}
	return out
}
