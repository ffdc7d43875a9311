// Command skiff-shim is the per-container monitor of DESIGN.md §1: started
// by skiffd once per container, it creates and starts the container with
// libcontainer and outlives skiffd.
//
// This binary is also libcontainer's init: libcontainer re-executes it as
// "skiff-shim init" inside the new container's namespaces.
//
// The container lifecycle (create, start, stdio, CRI logs, exit records)
// arrives with the pods-and-containers work; until then the shim answers
// only init and --version.
package main

import (
	"fmt"
	"os"

	_ "github.com/opencontainers/cgroups/devices" // device cgroup support for libcontainer
	"github.com/opencontainers/runc/libcontainer"
	_ "github.com/opencontainers/runc/libcontainer/nsenter" // the C constructor that joins namespaces before Go starts

	"github.com/skiffrt/skiff/internal/version"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "init" {
		libcontainer.Init() // Does not return.
	}
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		fmt.Printf("skiff-shim %s\n", version.Version)
		return
	}
	fmt.Fprintln(os.Stderr, "skiff-shim: started by skiffd, once per container; not meant to be run by hand")
	os.Exit(2)
}
