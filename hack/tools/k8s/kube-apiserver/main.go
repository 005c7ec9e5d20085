// Command kube-apiserver is the upstream API server, built from its Go module
// so that envtest runs against a real kube-apiserver without a download.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	os.Exit(cli.Run(app.NewAPIServerCommand()))
}
