package apiserver

import (
	"mime"
	"strings"
)

// output is the representation a client asked for in Accept.
type output int

const (
	outObject        output = iota // the object (or list) itself, JSON
	outTable                       // meta.k8s.io Table
	outPartial                     // meta.k8s.io PartialObjectMetadata(List)
	outDiscoveryList               // apidiscovery.k8s.io/v2 APIGroupDiscoveryList
)

// accepted is the chosen representation and its version (v1/v1beta1 for
// Table, v2/v2beta1 for aggregated discovery).
type accepted struct {
	out     output
	version string
}

// negotiate picks the first representation in Accept that the server
// serves. It never fails: protobuf, YAML or unknown types are skipped,
// and JSON is the answer when nothing else fits, as clients that send
// "protobuf, json" expect.
func negotiate(accept string) accepted {
	for _, part := range strings.Split(accept, ",") {
		typ, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil || (typ != "application/json" && typ != "*/*" && typ != "application/*") {
			continue
		}
		as, g, v := params["as"], params["g"], params["v"]
		switch {
		case as == "":
			return accepted{out: outObject}
		case as == "Table" && g == "meta.k8s.io" && (v == "v1" || v == "v1beta1"):
			return accepted{out: outTable, version: v}
		case (as == "PartialObjectMetadata" || as == "PartialObjectMetadataList") && g == "meta.k8s.io" && (v == "v1" || v == "v1beta1"):
			return accepted{out: outPartial, version: v}
		case as == "APIGroupDiscoveryList" && g == "apidiscovery.k8s.io" && (v == "v2" || v == "v2beta1"):
			return accepted{out: outDiscoveryList, version: v}
		}
	}
	return accepted{out: outObject}
}
