package openapi

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestUpstreamOracle compares every schema that a generated v3 document
// shares with upstream's (k8s.io/kubernetes api/openapi-spec/v3, v1.37),
// when SKIFF_OPENAPI_ORACLE names that directory, for instance
// $(go env GOMODCACHE)/k8s.io/kubernetes@v1.37.2/api/openapi-spec/v3.
//
// Property names, types, formats, references and the list, map and patch
// extensions must agree. Two known gaps are only logged: required fields,
// where upstream's +required and +optional comment markers (invisible to
// reflection) overrule the JSON tags; and list types of the few
// apimachinery types the merge schema does not know.
func TestUpstreamOracle(t *testing.T) {
	dir := os.Getenv("SKIFF_OPENAPI_ORACLE")
	if dir == "" {
		t.Skip("SKIFF_OPENAPI_ORACLE is not set")
	}
	lists, err := loadListTypes()
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"api/v1", "apis/apps/v1", "apis/batch/v1", "apis/coordination.k8s.io/v1", "apis/discovery.k8s.io/v1", "apis/events.k8s.io/v1"} {
		b, err := os.ReadFile(filepath.Join(dir, strings.ReplaceAll(key, "/", "__")+"_openapi.json"))
		if err != nil {
			t.Fatal(err)
		}
		var upstream map[string]any
		if err := json.Unmarshal(b, &upstream); err != nil {
			t.Fatal(err)
		}
		theirs := dig(t, upstream, "components", "schemas").(map[string]any)
		ours := dig(t, v3JSON(t, key), "components", "schemas").(map[string]any)
		for name, s := range ours {
			if u, ok := theirs[name]; ok {
				compareSchema(t, name, s.(map[string]any), u.(map[string]any), lists.structOf(name) != nil)
			}
		}
	}
}

func compareSchema(t *testing.T, name string, ours, theirs map[string]any, merged bool) {
	if a, b := shape(ours), shape(theirs); !reflect.DeepEqual(a, b) {
		t.Errorf("%s: %v, upstream %v", name, a, b)
	}
	if a, b := ours["required"], theirs["required"]; !sameSet(a, b) {
		t.Logf("%s: required %v, upstream %v", name, a, b)
	}
	op, _ := ours["properties"].(map[string]any)
	tp, _ := theirs["properties"].(map[string]any)
	if len(op) != len(tp) {
		t.Errorf("%s: %d properties, upstream %d", name, len(op), len(tp))
	}
	for field, o := range op {
		u, ok := tp[field]
		if !ok {
			t.Errorf("%s.%s: not upstream", name, field)
			continue
		}
		a, b := shape(o.(map[string]any)), shape(u.(map[string]any))
		if reflect.DeepEqual(a, b) {
			continue
		}
		if delete(b, extListType); !merged && reflect.DeepEqual(a, b) {
			t.Logf("%s.%s: list type unknown", name, field)
			continue
		}
		t.Errorf("%s.%s: %v, upstream %v", name, field, a, shape(u.(map[string]any)))
	}
}

// shape is what must agree of a schema: all but descriptions, defaults,
// enums, kinds and nested properties.
func shape(s map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range s {
		switch k {
		case "type", "format", "oneOf", "$ref", extPatchStrategy, extPatchMergeKey, extListType, extListMapKeys, extMapType:
			out[k] = v
		case "allOf", "items", "additionalProperties":
			out[k] = nested(v)
		}
	}
	return out
}

func nested(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return shape(v)
	case []any:
		out := make([]any, len(v))
		for i := range v {
			out[i] = nested(v[i])
		}
		return out
	}
	return v
}

func sameSet(a, b any) bool {
	count := map[any]int{}
	as, _ := a.([]any)
	bs, _ := b.([]any)
	for _, x := range as {
		count[x]++
	}
	for _, x := range bs {
		count[x]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return true
}
