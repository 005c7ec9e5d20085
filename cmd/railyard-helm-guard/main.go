// Command railyard-helm-guard is the helm guard (package helmguard) as a
// program of its own. The manager starts it, through a link in a private
// directory holding the guard's configuration, wherever kustomize or a helm
// step would start helm. It is shipped next to the manager because it
// starts in milliseconds, where the manager would take tens of them.
package main

import (
	"os"
	"path/filepath"

	"github.com/railyard-dev/railyard/internal/helmguard"
)

func main() {
	if len(os.Args) == 0 || filepath.Base(os.Args[0]) != helmguard.Name {
		// Started by hand: there is no configuration to act on.
		os.Stderr.WriteString("railyard-helm-guard is started by the Railyard manager in place of helm, never by hand\n")
		os.Exit(2)
	}
	os.Exit(helmguard.Main(filepath.Dir(os.Args[0]), os.Args[1:]))
}
