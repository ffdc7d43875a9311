package openapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/munnerz/goautoneg"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiffrt/skiff/internal/log"
)

const (
	pathV2 = "/openapi/v2"
	pathV3 = "/openapi/v3"
)

// ServeHTTP answers GET and HEAD of /openapi/v2, /openapi/v3 and
// /openapi/v3/<group version path>.
func (d *Documents) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeStatus(w, http.StatusMethodNotAllowed, metav1.StatusReasonMethodNotAllowed, r.Method+" is not supported on "+r.URL.Path)
		return
	}
	switch p := r.URL.Path; {
	case p == pathV2:
		d.serveV2(w, r)
	case p == pathV3:
		d.serveV3Index(w, r)
	case strings.HasPrefix(p, pathV3+"/"):
		d.serveV3Group(w, r, strings.TrimPrefix(p, pathV3+"/"))
	default:
		writeStatus(w, http.StatusNotFound, metav1.StatusReasonNotFound, "no OpenAPI document at "+p)
	}
}

func (d *Documents) serveV2(w http.ResponseWriter, r *http.Request) {
	doc, err := d.v2()
	if err != nil {
		serverError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-cache, private")
	serveDocument(w, r, doc, r.Header.Get("Accept"))
}

func (d *Documents) serveV3Index(w http.ResponseWriter, r *http.Request) {
	docs, err := d.v3()
	if err != nil {
		serverError(w, r, err)
		return
	}
	// Like kube-apiserver's, the index is JSON whatever the Accept header.
	w.Header().Set("Cache-Control", "no-cache, private")
	serveDocument(w, r, docs.index, "*/*")
}

// serveV3Group serves one group version. The index links it with the
// hash of its content, so an answer to the current hash never changes and
// clients may keep it; an old hash is redirected to the current one.
func (d *Documents) serveV3Group(w http.ResponseWriter, r *http.Request, key string) {
	docs, err := d.v3()
	if err != nil {
		serverError(w, r, err)
		return
	}
	doc, ok := docs.groups[key]
	if !ok {
		writeStatus(w, http.StatusNotFound, metav1.StatusReasonNotFound, "no OpenAPI document for "+key)
		return
	}
	switch hash := r.URL.Query().Get("hash"); hash {
	case "":
		w.Header().Set("Cache-Control", "no-cache, private")
	case doc.etag:
		w.Header().Set("Cache-Control", "public, immutable")
		w.Header().Set("Expires", time.Now().AddDate(1, 0, 0).UTC().Format(http.TimeFormat))
	default:
		http.Redirect(w, r, v3URL(key, doc.etag), http.StatusMovedPermanently)
		return
	}
	serveDocument(w, r, doc, r.Header.Get("Accept"))
}

// v3URL is the link to a group version's document at one content hash.
func v3URL(key, etag string) string {
	return pathV3 + "/" + key + "?" + url.Values{"hash": {etag}}.Encode()
}

// serveDocument answers with doc in the form accept prefers: JSON, or
// protobuf where the document has that form.
func serveDocument(w http.ResponseWriter, r *http.Request, doc *document, accept string) {
	w.Header().Add("Vary", "Accept")
	body, contentType, err := negotiate(accept, doc)
	if err != nil {
		serverError(w, r, err)
		return
	}
	if contentType == "" {
		forms := mediaJSON
		if doc.protoForm != nil {
			forms += " or " + doc.protoForm.mediaType
		}
		writeStatus(w, http.StatusNotAcceptable, metav1.StatusReasonNotAcceptable, "the document is served as "+forms)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Etag", strconv.Quote(doc.etag))
	h.Set("Last-Modified", doc.modified.UTC().Format(http.TimeFormat))
	if etagMatches(r.Header.Get("If-None-Match"), doc.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeBody(w, r, body)
}

// negotiate picks the first acceptable form; contentType is empty when
// none is.
func negotiate(accept string, doc *document) (compressed, string, error) {
	if accept == "" {
		accept = "*/*"
	}
	for _, c := range goautoneg.ParseAccept(accept) {
		mt := c.Type + "/" + c.SubType
		switch {
		case mt == mediaJSON || mt == "application/*" || mt == "*/*":
			return doc.json, mediaJSON, nil
		case doc.protoForm != nil && mt == doc.protoForm.mediaType:
			body, err := doc.proto()
			return body, doc.protoForm.answer, err
		}
	}
	return compressed{}, "", nil
}

// writeBody sends body gzipped to clients that take gzip (client-go
// does), and inflates it for the others.
func writeBody(w http.ResponseWriter, r *http.Request, body compressed) {
	h := w.Header()
	h.Add("Vary", "Accept-Encoding")
	gz := acceptsGzip(r.Header.Get("Accept-Encoding"))
	if gz {
		h.Set("Content-Encoding", "gzip")
		h.Set("Content-Length", strconv.Itoa(len(body.gz)))
	} else {
		h.Set("Content-Length", strconv.Itoa(body.size))
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	var err error
	if gz {
		_, err = w.Write(body.gz)
	} else {
		err = body.writeTo(w)
	}
	if err != nil {
		log.G(r.Context()).Debug("openapi: writing the answer failed", "path", r.URL.Path, "error", err)
	}
}

// acceptsGzip reports whether an Accept-Encoding header admits gzip.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if coding = strings.ToLower(strings.TrimSpace(coding)); coding != "gzip" && coding != "*" {
			continue
		}
		q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q=")
		if !ok {
			return true
		}
		v, err := strconv.ParseFloat(q, 64)
		return err == nil && v > 0
	}
	return false
}

// etagMatches reports whether an If-None-Match header names etag.
func etagMatches(header, etag string) bool {
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == strconv.Quote(etag) {
			return true
		}
	}
	return false
}

func serverError(w http.ResponseWriter, r *http.Request, err error) {
	log.G(r.Context()).Error("openapi: generating the document failed", "path", r.URL.Path, "error", err)
	writeStatus(w, http.StatusInternalServerError, metav1.StatusReasonInternalError, "generating the OpenAPI document failed: "+err.Error())
}

// writeStatus answers with a failure Status, as the rest of the API does.
func writeStatus(w http.ResponseWriter, code int, reason metav1.StatusReason, msg string) {
	w.Header().Set("Content-Type", mediaJSON)
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure,
		Message:  msg,
		Reason:   reason,
		Code:     int32(code),
	})
}
