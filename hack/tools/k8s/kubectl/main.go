// Command kubectl is the upstream kubectl, built from its Go module so tests
// drive the API server with the real client at a matching version.
package main

import (
	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
)

func main() {
	if err := cli.RunNoErrOutput(cmd.NewDefaultKubectlCommand()); err != nil {
		// CheckErr prints the error the way kubectl users expect and exits.
		cmdutil.CheckErr(err)
	}
}
