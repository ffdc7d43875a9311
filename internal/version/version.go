// Package version holds skiff's version, set at link time by the Makefile.
package version

// Version is skiff's release; the Makefile sets it from git describe.
var Version = "0.1.0-dev"

// Name is the runtime name reported to CRI clients.
const Name = "skiff"

// CRIVersion is the CRI API version skiff serves.
const CRIVersion = "v1"
