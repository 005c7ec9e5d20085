// Command railyard is the Railyard CLI. It is also installed as the kubectl
// plugin kubectl-railyard.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/railyard-dev/railyard/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Execute(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
