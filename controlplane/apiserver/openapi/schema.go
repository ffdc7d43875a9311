package openapi

import (
	"reflect"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// builder turns Go types into named OpenAPI schemas by reflection, the way
// openapi-gen does at build time upstream: a named struct becomes a
// definition referenced by $ref; slices, maps and scalars are inlined.
// Descriptions come from the types' SwaggerDoc methods, patch metadata
// from their struct tags, and list and map semantics from the
// structured-merge-diff schema client-go ships (listTypes).
//
// A builder serves one document and is not safe for concurrent use.
type builder struct {
	v3    bool // OpenAPI 3 flavour: allOf-wrapped refs, oneOf scalars
	defs  map[string]spec.Schema
	names map[reflect.Type]string // of the types defined
	gvks  kindsByName
	lists listTypes
}

// newBuilder starts a document; kinds names the kinds of the definitions
// it may add.
func newBuilder(v3 bool, lists listTypes, kinds kindsByName) *builder {
	b := &builder{v3: v3, defs: map[string]spec.Schema{}, names: map[reflect.Type]string{}, gvks: kindsByName{}, lists: lists}
	for name, gvks := range kinds {
		b.gvks[name] = slices.Clone(gvks)
	}
	return b
}

// kindsByName maps definition names to the kinds whose schemas they are.
type kindsByName map[string][]schema.GroupVersionKind

func (m kindsByName) add(name string, gvk schema.GroupVersionKind) {
	if !slices.Contains(m[name], gvk) {
		m[name] = append(m[name], gvk)
	}
}

// refPrefix is where a document keeps its named schemas.
func (b *builder) refPrefix() string {
	if b.v3 {
		return "#/components/schemas/"
	}
	return "#/definitions/"
}

// ref defines t (a struct type) if needed and returns a reference to it.
func (b *builder) ref(t reflect.Type) spec.Schema {
	return spec.Schema{SchemaProps: spec.SchemaProps{Ref: spec.MustCreateRef(b.refPrefix() + b.define(t))}}
}

// define adds the definition of the struct type t and of every type it
// reaches, and returns its name.
func (b *builder) define(t reflect.Type) string {
	t = deref(t)
	if name, ok := b.names[t]; ok {
		return name
	}
	name := modelName(t)
	b.names[t] = name // before the fields: a type may reach itself
	if s, ok := b.scalarDefinition(t); ok {
		b.defs[name] = s
		return name
	}
	s := spec.Schema{SchemaProps: spec.SchemaProps{
		Type:        spec.StringOrArray{"object"},
		Description: typeDocs(t)[""],
	}}
	b.addFields(&s, t, name)
	if mt := b.lists.structMapType(name); mt != "" {
		s.AddExtension(extMapType, mt)
	}
	b.defs[name] = s
	return name
}

// scalarDefinition covers the types that marshal to a JSON scalar and
// declare their OpenAPI type themselves (metav1.Time, MicroTime, Duration,
// resource.Quantity, intstr.IntOrString).
func (b *builder) scalarDefinition(t reflect.Type) (spec.Schema, bool) {
	v, ok := reflect.New(t).Interface().(openAPIScalar)
	if !ok {
		return spec.Schema{}, false
	}
	s := spec.Schema{SchemaProps: spec.SchemaProps{
		Description: typeDocs(t)[""],
		Format:      v.OpenAPISchemaFormat(),
	}}
	oneOf, hasOneOf := v.(openAPIV3OneOf)
	if !b.v3 || !hasOneOf {
		s.Type = v.OpenAPISchemaType()
		return s, true
	}
	for _, typ := range oneOf.OpenAPIV3OneOfTypes() {
		s.OneOf = append(s.OneOf, spec.Schema{SchemaProps: spec.SchemaProps{Type: spec.StringOrArray{typ}}})
	}
	return s, true
}

// openAPIScalar and openAPIV3OneOf are implemented by apimachinery's
// custom-marshalled types for openapi-gen's benefit.
type openAPIScalar interface {
	OpenAPISchemaType() []string
	OpenAPISchemaFormat() string
}

type openAPIV3OneOf interface {
	OpenAPIV3OneOfTypes() []string
}

// addFields adds the JSON fields of struct t to s; owner names the
// definition the fields end up in, whose merge schema gives their list
// semantics. Embedded structs without a JSON name (TypeMeta) are
// flattened into s, documented by their own SwaggerDoc.
func (b *builder) addFields(s *spec.Schema, t reflect.Type, owner string) {
	docs := typeDocs(t)
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case !f.IsExported() || name == "-":
			continue
		case f.Anonymous && name == "":
			b.addFields(s, deref(f.Type), owner)
			continue
		case name == "":
			name = f.Name
		}
		s.SetProperty(name, b.property(f, docs[name], owner, name))
		if !hasOption(opts, "omitempty") && !hasOption(opts, "omitzero") {
			s.Required = append(s.Required, name)
		}
	}
}

// property is the schema of one struct field: its type, description,
// patch metadata and list or map semantics.
func (b *builder) property(f reflect.StructField, doc, owner, name string) spec.Schema {
	s := b.typeSchema(f.Type)
	ext := spec.Extensions{}
	if v := f.Tag.Get("patchStrategy"); v != "" {
		ext.Add(extPatchStrategy, v)
	}
	if v := f.Tag.Get("patchMergeKey"); v != "" {
		ext.Add(extPatchMergeKey, v)
	}
	b.lists.fieldExtensions(owner, name, ext)
	if s.Ref.String() != "" && (doc != "" || len(ext) > 0) && b.v3 {
		// OpenAPI 3.0 ignores the siblings of $ref; upstream wraps it.
		s = spec.Schema{SchemaProps: spec.SchemaProps{AllOf: []spec.Schema{s}}}
	}
	s.Description = doc
	for k, v := range ext {
		s.AddExtension(k, v)
	}
	return s
}

// typeSchema is the inline schema of a field of type t.
func (b *builder) typeSchema(t reflect.Type) spec.Schema {
	t = deref(t)
	switch t.Kind() {
	case reflect.Struct:
		return b.ref(t)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return scalar("string", "byte")
		}
		items := b.typeSchema(t.Elem())
		return spec.Schema{SchemaProps: spec.SchemaProps{
			Type:  spec.StringOrArray{"array"},
			Items: &spec.SchemaOrArray{Schema: &items},
		}}
	case reflect.Map:
		values := b.typeSchema(t.Elem())
		return spec.Schema{SchemaProps: spec.SchemaProps{
			Type:                 spec.StringOrArray{"object"},
			AdditionalProperties: &spec.SchemaOrBool{Allows: true, Schema: &values},
		}}
	case reflect.Interface:
		return spec.Schema{SchemaProps: spec.SchemaProps{Type: spec.StringOrArray{"object"}}}
	}
	return scalar(common.OpenAPITypeFormat(t.Kind().String()))
}

func scalar(typ, format string) spec.Schema {
	return spec.Schema{SchemaProps: spec.SchemaProps{Type: spec.StringOrArray{typ}, Format: format}}
}

// stampMeta gives apimachinery's meta types their kinds in the document
// of gv, as kube-apiserver registers them: in the core group, and
// DeleteOptions and WatchEvent in every group version too. The
// definitions carry x-kubernetes-group-version-kind, which is how kubectl
// finds a kind's schema.
func (b *builder) stampMeta(gv schema.GroupVersion) {
	core := schema.GroupVersion{Version: "v1"}
	b.gvks.add(modelName(statusType), core.WithKind("Status"))
	b.gvks.add(modelName(resourceListType), core.WithKind("APIResourceList"))
	for _, gv := range []schema.GroupVersion{core, gv} {
		b.gvks.add(modelName(deleteOptionsType), gv.WithKind("DeleteOptions"))
		b.gvks.add(modelName(watchEventType), gv.WithKind("WatchEvent"))
	}
}

// definitions returns the named schemas, stamped with their kinds.
func (b *builder) definitions() spec.Definitions {
	out := make(spec.Definitions, len(b.defs))
	for name, s := range b.defs {
		if gvks := b.gvks[name]; len(gvks) > 0 {
			s.AddExtension(extGVK, gvkList(gvks))
		}
		out[name] = s
	}
	return out
}

// gvkList is the value of x-kubernetes-group-version-kind on a definition,
// in a stable order.
func gvkList(gvks []schema.GroupVersionKind) []map[string]string {
	sorted := slices.SortedFunc(slices.Values(gvks), func(a, b schema.GroupVersionKind) int {
		return strings.Compare(a.String(), b.String())
	})
	out := make([]map[string]string, 0, len(sorted))
	for _, gvk := range sorted {
		out = append(out, gvkMap(gvk))
	}
	return out
}

func gvkMap(gvk schema.GroupVersionKind) map[string]string {
	return map[string]string{"group": gvk.Group, "version": gvk.Version, "kind": gvk.Kind}
}

// modelName is the upstream name of a definition, such as
// io.k8s.api.apps.v1.Deployment: the one the type declares, else its
// package path with the domain reversed.
func modelName(t reflect.Type) string {
	if n, ok := reflect.New(t).Interface().(interface{ OpenAPIModelName() string }); ok {
		return n.OpenAPIModelName()
	}
	host, rest, _ := strings.Cut(t.PkgPath(), "/")
	labels := strings.Split(host, ".")
	slices.Reverse(labels)
	return strings.ReplaceAll(strings.Join(labels, ".")+"/"+rest, "/", ".") + "." + t.Name()
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func hasOption(opts, want string) bool {
	return slices.Contains(strings.Split(opts, ","), want)
}
