// Command kubectl is the upstream kubectl, built from k8s.io/kubectl at the
// version pinned in this module's go.mod. skiff's tests and users drive
// `skiff server` with it; nothing here changes its behaviour.
package main

import (
	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"

	// Client auth plugins (exec, oidc), as the upstream binary links them.
	_ "k8s.io/client-go/plugin/pkg/client/auth"
)

func main() {
	if err := cli.RunNoErrOutput(cmd.NewDefaultKubectlCommand()); err != nil {
		util.CheckErr(err)
	}
}
