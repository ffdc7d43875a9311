package apiserver

import (
	"net/http/httptest"
	"testing"
)

func TestParseRequest(t *testing.T) {
	tests := []struct {
		method, path string
		want         requestInfo
	}{
		{"GET", "/api/v1/namespaces", requestInfo{Resource: true, Verb: "list", Version: "v1", Kind: "namespaces"}},
		{"GET", "/api/v1/namespaces/default", requestInfo{Resource: true, Verb: "get", Version: "v1", Kind: "namespaces", Name: "default"}},
		{"PUT", "/api/v1/namespaces/default/status", requestInfo{Resource: true, Verb: "update", Version: "v1", Kind: "namespaces", Name: "default", Subresource: "status"}},
		{"GET", "/api/v1/namespaces/default/pods?watch=true", requestInfo{Resource: true, Verb: "watch", Version: "v1", Namespace: "default", Kind: "pods"}},
		{"DELETE", "/api/v1/namespaces/default/pods", requestInfo{Resource: true, Verb: "deletecollection", Version: "v1", Namespace: "default", Kind: "pods"}},
		{"PATCH", "/apis/apps/v1/namespaces/ns/deployments/web/scale", requestInfo{Resource: true, Verb: "patch", Group: "apps", Version: "v1", Namespace: "ns", Kind: "deployments", Name: "web", Subresource: "scale"}},
		{"GET", "/apis/apps/v1/deployments", requestInfo{Resource: true, Verb: "list", Group: "apps", Version: "v1", Kind: "deployments"}},
		{"POST", "/api/v1/namespaces/ns/pods/p/binding", requestInfo{Resource: true, Verb: "create", Version: "v1", Namespace: "ns", Kind: "pods", Name: "p", Subresource: "binding"}},
		{"GET", "/api/v1/namespaces/ns/pods/p/a/b", requestInfo{Resource: true, Version: "v1", Namespace: "ns", Kind: "pods", Name: "p", Subresource: "a"}},
		{"GET", "/api/v1/namespaces/ns/secrets?fieldSelector=metadata.name%3Ds1", requestInfo{Resource: true, Verb: "list", Version: "v1", Namespace: "ns", Kind: "secrets", Name: "s1"}},
		{"GET", "/api/v1/namespaces/ns/secrets?watch=1&fieldSelector=metadata.name%3Ds1%2Ctype%3Dx", requestInfo{Resource: true, Verb: "watch", Version: "v1", Namespace: "ns", Kind: "secrets", Name: "s1"}},
		{"GET", "/api/v1/namespaces/ns/secrets?fieldSelector=metadata.name%21%3Ds1", requestInfo{Resource: true, Verb: "list", Version: "v1", Namespace: "ns", Kind: "secrets"}},
		{"GET", "/apis/apps", requestInfo{}},
		{"GET", "/healthz", requestInfo{}},
	}
	for _, tc := range tests {
		got := parseRequest(httptest.NewRequest(tc.method, tc.path, nil))
		if got != tc.want {
			t.Errorf("%s %s: %+v, want %+v", tc.method, tc.path, got, tc.want)
		}
	}
}

func TestNegotiate(t *testing.T) {
	tests := []struct {
		accept string
		want   accepted
	}{
		{"", accepted{out: outObject}},
		{"application/vnd.kubernetes.protobuf,application/json", accepted{out: outObject}},
		{"application/vnd.kubernetes.protobuf", accepted{out: outObject}},
		{"application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json", accepted{out: outTable, version: "v1"}},
		{"application/json;as=Table;v=v2;g=meta.k8s.io, application/json", accepted{out: outObject}},
		{"application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json", accepted{out: outPartial, version: "v1"}},
		{"application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json", accepted{out: outDiscoveryList, version: "v2"}},
		{"text/html", accepted{out: outObject}},
	}
	for _, tc := range tests {
		if got := negotiate(tc.accept); got != tc.want {
			t.Errorf("%q: %+v, want %+v", tc.accept, got, tc.want)
		}
	}
}
