package openapi

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
	"testing"
)

var (
	testDocsOnce sync.Once
	testDocs     *Documents
	testDocsErr  error
)

// documents returns the documents of testKinds, generated once per test
// binary: generation is what most tests look at, not what they change.
func documents(t *testing.T) *Documents {
	t.Helper()
	testDocsOnce.Do(func() { testDocs, testDocsErr = New(testKinds()) })
	if testDocsErr != nil {
		t.Fatal(testDocsErr)
	}
	return testDocs
}

// v3JSON decodes the v3 document of the group version at key.
func v3JSON(t *testing.T, key string) map[string]any {
	t.Helper()
	docs, err := documents(t).v3()
	if err != nil {
		t.Fatal(err)
	}
	doc, ok := docs.groups[key]
	if !ok {
		t.Fatalf("no v3 document for %s", key)
	}
	return decode(t, doc.json)
}

func v2JSON(t *testing.T) map[string]any {
	t.Helper()
	doc, err := documents(t).v2()
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, doc.json)
}

func decode(t *testing.T, c compressed) map[string]any {
	t.Helper()
	b, err := c.bytes()
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// dig follows keys through nested JSON objects.
func dig(t *testing.T, v any, keys ...string) any {
	t.Helper()
	for i, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%v: not an object at %q", keys[:i], k)
		}
		if v, ok = m[k]; !ok {
			t.Fatalf("%v: no %q", keys[:i], k)
		}
	}
	return v
}

// subset reports how got differs from want, where every object in want
// lists only the keys it checks; arrays must match item by item.
func subset(path string, got, want any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %v, want an object", path, got)}
		}
		var diffs []string
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				diffs = append(diffs, fmt.Sprintf("%s.%s: missing", path, k))
				continue
			}
			diffs = append(diffs, subset(path+"."+k, gv, wv)...)
		}
		return diffs
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: got %v, want %v", path, got, want)}
		}
		var diffs []string
		for i := range w {
			diffs = append(diffs, subset(fmt.Sprintf("%s[%d]", path, i), g[i], w[i])...)
		}
		return diffs
	}
	if !reflect.DeepEqual(got, want) {
		return []string{fmt.Sprintf("%s: got %v, want %v", path, got, want)}
	}
	return nil
}

func mustJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad expectation %s: %v", s, err)
	}
	return v
}
