// Command railyard is the Railyard CLI. It is also installed as the kubectl
// plugin kubectl-railyard.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/railyard-dev/railyard/internal/version"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the CLI without process exits, so tests can drive it.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "version" || args[0] == "--version" {
		_, _ = fmt.Fprintf(stdout, "railyard %s\n", version.Get())
		return 0
	}
	_, _ = fmt.Fprintf(stderr, "railyard: unknown command %q; this version only prints its version\n", args[0])
	return 2
}
