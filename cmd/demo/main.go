// Command demo runs Railyard's pipeline on a machine with no cluster (see
// package internal/demo). Run it from the repository after `make envtest
// build`, or simply `make demo`.
//
//	demo [--non-interactive [--keep]] [--timeout 5m] [--control-addr ADDR] [--ui-addr ADDR] [--verbose]
//	demo push-tag [--control-addr ADDR] TAG
//
// DEMO_NONINTERACTIVE=1 is the same as --non-interactive, DEMO_KEEP=1 as
// --keep.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/railyard-dev/railyard/internal/demo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "push-tag" {
		return pushTag(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	nonInteractive := fs.Bool("non-interactive", os.Getenv("DEMO_NONINTERACTIVE") == "1",
		"run the whole scenario (v1.0.0 to test, staging and prod from upstream, v1.1.0 to test) and exit; also DEMO_NONINTERACTIVE=1")
	timeout := fs.Duration("timeout", demo.DefaultTimeout, "bound on starting up and, with --non-interactive, on the whole scenario")
	controlAddr := fs.String("control-addr", "", "address of the push-tag control endpoint (default "+demo.DefaultControlAddr+"; with --non-interactive a free port)")
	uiAddr := fs.String("ui-addr", "", "loopback address of the web UI (default a free port on 127.0.0.1; printed as \"Web UI: ...\")")
	keep := fs.Bool("keep", os.Getenv("DEMO_KEEP") == "1", "with --non-interactive, keep everything (the web UI too) running after the scenario until Ctrl-C; also DEMO_KEEP=1")
	verbose := fs.Bool("verbose", false, "print the manager's logs to stderr")
	fs.Usage = func() {
		_, _ = fmt.Fprintln(stderr, "usage: demo [flags]\n       demo push-tag [--control-addr ADDR] TAG")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	opts := demo.Options{Out: stdout, NonInteractive: *nonInteractive, Timeout: *timeout, ControlAddr: *controlAddr, UIAddr: *uiAddr, Keep: *keep}
	if *verbose {
		opts.ManagerLog = stderr
	}
	if err := demo.Run(ctx, opts); err != nil {
		if ctx.Err() != nil {
			_, _ = fmt.Fprintln(stderr, "demo interrupted")
			return 130
		}
		_, _ = fmt.Fprintf(stderr, "demo failed: %v\n", err)
		if errors.Is(err, demo.ErrTimedOut) {
			_, _ = fmt.Fprintln(stderr, "run it again with --verbose to see the manager's logs")
		}
		return 1
	}
	return 0
}

func pushTag(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo push-tag", flag.ContinueOnError)
	fs.SetOutput(stderr)
	controlAddr := fs.String("control-addr", demo.DefaultControlAddr, "address of the running demo's control endpoint")
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	if fs.NArg() != 1 {
		_, _ = fmt.Fprintln(stderr, "usage: demo push-tag [--control-addr ADDR] TAG   (e.g. v1.1.0)")
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	msg, err := demo.PushTag(ctx, *controlAddr, fs.Arg(0))
	if err != nil {
		_, _ = fmt.Fprintln(stderr, err)
		return 1
	}
	_, _ = fmt.Fprintln(stdout, msg)
	return 0
}

// parseExit is the exit code of a command line the flag package refused:
// 0 for -h/--help, which printed the usage someone asked for, else 2.
func parseExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}
