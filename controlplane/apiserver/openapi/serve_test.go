package openapi

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	openapiv2 "github.com/google/gnostic-models/openapiv2"
	openapiv3 "github.com/google/gnostic-models/openapiv3"
	"google.golang.org/protobuf/proto"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// get serves one request and returns the recorded answer.
func get(t *testing.T, method, target string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	documents(t).ServeHTTP(w, r)
	return w
}

// appsURL is the link the index gives to apps/v1.
func appsURL(t *testing.T) string {
	t.Helper()
	var index indexV3
	if err := json.Unmarshal(get(t, "GET", "/openapi/v3", nil).Body.Bytes(), &index); err != nil {
		t.Fatal(err)
	}
	return index.Paths["apis/apps/v1"].ServerRelativeURL
}

func TestIndex(t *testing.T) {
	w := get(t, "GET", "/openapi/v3", map[string]string{"Accept": protoV3.mediaType})
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != mediaJSON {
		t.Fatalf("got %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	var index indexV3
	if err := json.Unmarshal(w.Body.Bytes(), &index); err != nil {
		t.Fatal(err)
	}
	docs, err := documents(t).v3()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"api/v1", "apis/apps/v1", "apis/batch/v1", "apis/coordination.k8s.io/v1", "apis/discovery.k8s.io/v1", "apis/events.k8s.io/v1"}
	if len(index.Paths) != len(want) {
		t.Errorf("index has %d group versions, want %v", len(index.Paths), want)
	}
	for _, key := range want {
		if got, w := index.Paths[key].ServerRelativeURL, "/openapi/v3/"+key+"?hash="+docs.groups[key].etag; got != w {
			t.Errorf("%s links %q, want %q", key, got, w)
		}
	}
}

func TestServeGroupVersion(t *testing.T) {
	current := appsURL(t)
	path, hash, _ := strings.Cut(current, "?hash=")
	tests := []struct {
		name     string
		target   string
		header   map[string]string
		code     int
		want     map[string]string // answer headers
		location string
	}{
		{name: "current hash", target: current, code: 200, want: map[string]string{
			"Content-Type": mediaJSON, "Cache-Control": "public, immutable", "Etag": strconv.Quote(hash)}},
		{name: "no hash", target: path, code: 200, want: map[string]string{
			"Content-Type": mediaJSON, "Cache-Control": "no-cache, private", "Etag": strconv.Quote(hash)}},
		{name: "stale hash", target: path + "?hash=0123", code: 301, location: current},
		{name: "revalidation", target: path, header: map[string]string{"If-None-Match": strconv.Quote(hash)}, code: 304},
		{name: "protobuf", target: current, header: map[string]string{"Accept": protoV3.mediaType}, code: 200, want: map[string]string{
			"Content-Type": protoV3.answer}},
		{name: "protobuf preferred", target: current, header: map[string]string{"Accept": "application/json;q=0.5, " + protoV3.mediaType}, code: 200,
			want: map[string]string{"Content-Type": protoV3.answer}},
		{name: "json preferred", target: current, header: map[string]string{"Accept": mediaJSON + ", " + protoV3.mediaType + ";q=0.5"}, code: 200,
			want: map[string]string{"Content-Type": mediaJSON}},
		{name: "any", target: current, header: map[string]string{"Accept": "*/*"}, code: 200, want: map[string]string{"Content-Type": mediaJSON}},
		{name: "not acceptable", target: current, header: map[string]string{"Accept": "text/html"}, code: 406},
		{name: "gzip", target: current, header: map[string]string{"Accept-Encoding": "gzip"}, code: 200, want: map[string]string{
			"Content-Encoding": "gzip"}},
		{name: "gzip refused", target: current, header: map[string]string{"Accept-Encoding": "gzip;q=0, deflate"}, code: 200, want: map[string]string{
			"Content-Encoding": ""}},
		{name: "unknown group", target: "/openapi/v3/apis/nope/v1", code: 404},
		{name: "elsewhere", target: "/openapi/v4", code: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := get(t, "GET", tt.target, tt.header)
			if w.Code != tt.code {
				t.Fatalf("got %d, want %d: %s", w.Code, tt.code, w.Body)
			}
			for k, v := range tt.want {
				if got := w.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if got := w.Header().Get("Location"); got != tt.location {
				t.Errorf("Location = %q, want %q", got, tt.location)
			}
			if tt.code >= 400 {
				checkStatus(t, w, tt.code)
			}
		})
	}
}

func checkStatus(t *testing.T, w *httptest.ResponseRecorder, code int) {
	t.Helper()
	var st metav1.Status
	if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil || st.Kind != "Status" || st.Code != int32(code) || st.Message == "" {
		t.Errorf("body is not a Status with code %d: %s (%v)", code, w.Body, err)
	}
}

// TestBodies checks that each form of a body decodes, and that gzip and
// identity carry the same bytes.
func TestBodies(t *testing.T) {
	current := appsURL(t)
	plain := get(t, "GET", current, nil)
	zipped := get(t, "GET", current, map[string]string{"Accept-Encoding": "gzip"})
	for _, w := range []*httptest.ResponseRecorder{plain, zipped} {
		if got, want := w.Header().Get("Content-Length"), strconv.Itoa(w.Body.Len()); got != want {
			t.Errorf("Content-Length = %s, body has %s bytes", got, want)
		}
	}
	zr, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(unzipped, plain.Body.Bytes()) {
		t.Error("gzip and identity bodies differ")
	}
	if !json.Valid(plain.Body.Bytes()) {
		t.Error("v3 JSON does not parse")
	}
	var v3 openapiv3.Document
	if err := proto.Unmarshal(get(t, "GET", current, map[string]string{"Accept": protoV3.mediaType}).Body.Bytes(), &v3); err != nil || v3.Components == nil {
		t.Errorf("v3 protobuf does not parse: %v", err)
	}
	var v2 openapiv2.Document
	if err := proto.Unmarshal(get(t, "GET", "/openapi/v2", map[string]string{"Accept": protoV2.mediaType}).Body.Bytes(), &v2); err != nil || v2.Definitions == nil {
		t.Errorf("v2 protobuf does not parse: %v", err)
	}
	if v2json := get(t, "GET", "/openapi/v2", nil); v2json.Header().Get("Content-Type") != mediaJSON || !json.Valid(v2json.Body.Bytes()) {
		t.Error("v2 JSON does not parse")
	}
}

func TestMethods(t *testing.T) {
	current := appsURL(t)
	head := get(t, "HEAD", current, nil)
	if head.Code != 200 || head.Body.Len() != 0 || head.Header().Get("Content-Length") == "0" {
		t.Errorf("HEAD: %d, %d bytes, Content-Length %s", head.Code, head.Body.Len(), head.Header().Get("Content-Length"))
	}
	post := get(t, "POST", current, nil)
	if post.Code != http.StatusMethodNotAllowed || post.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d, Allow %q", post.Code, post.Header().Get("Allow"))
	}
	checkStatus(t, post, http.StatusMethodNotAllowed)
}

// TestDeterministic checks that a new generation gives the same hashes:
// clients keep documents by hash across restarts of the server.
func TestDeterministic(t *testing.T) {
	again, err := New(testKinds())
	if err != nil {
		t.Fatal(err)
	}
	a, err := documents(t).v3()
	if err != nil {
		t.Fatal(err)
	}
	b, err := again.v3()
	if err != nil {
		t.Fatal(err)
	}
	for key, doc := range a.groups {
		if b.groups[key].etag != doc.etag {
			t.Errorf("%s: hash changed between generations", key)
		}
	}
}

func TestAcceptsGzip(t *testing.T) {
	tests := map[string]bool{
		"":                      false,
		"gzip":                  true,
		"deflate, gzip":         true,
		"GZIP;q=0.5":            true,
		"gzip; q=0":             false,
		"gzip;q=0.000, deflate": false,
		"br, *":                 true,
		"identity":              false,
	}
	for header, want := range tests {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

func TestETagMatches(t *testing.T) {
	tests := map[string]bool{
		``:                  false,
		`"ABC"`:             true,
		`W/"ABC"`:           true,
		`"X", "ABC"`:        true,
		`*`:                 true,
		`"ABCD"`:            false,
		`ABC`:               false,
		`"abc"`:             false,
		`"X",W/"Y", "ABC" `: true,
	}
	for header, want := range tests {
		if got := etagMatches(header, "ABC"); got != want {
			t.Errorf("etagMatches(%q) = %v, want %v", header, got, want)
		}
	}
}
