// Command skiff is skiff's control plane.
//
//	skiff server [flags]   API server over an embedded etcd (or --etcd-servers),
//	                       with a node agent for the local skiffd
//	skiff server token create [--ttl D]
//	                       a bootstrap token for a node to join
//	skiff agent [flags]    a worker's node agent
//	skiff etcd [flags]     a member of an etcd cluster for --etcd-servers
//	skiff version          print the version
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/skiffrt/skiff/internal/version"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: skiff server|agent|etcd|version [flags]")
		return 2
	}
	switch args[0] {
	case "server":
		return runServer(args[1:], stdout, stderr)
	case "agent":
		return runAgentCommand(args[1:], stderr)
	case "etcd":
		return runEtcd(args[1:], stdout, stderr)
	case "version":
		fmt.Fprintf(stdout, "skiff %s\n", version.Version)
		return 0
	}
	fmt.Fprintf(stderr, "skiff: unknown command %q\nusage: skiff server|agent|etcd|version [flags]\n", args[0])
	return 2
}
