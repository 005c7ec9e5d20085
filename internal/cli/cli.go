// Package cli implements the railyard command line: the terminal
// counterpart of Kargo's UI buttons (refresh, create Freight, promote,
// approve, abort), a picture of the pipeline, and a converter from Kargo
// manifests. It reads the kubeconfig the way kubectl does.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Exit codes of Execute.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
)

// usageError marks a mistake in the command line itself (unknown command,
// bad flag), which exits with ExitUsage rather than ExitError.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// Execute runs the CLI with args (without the program name) and returns the
// process exit code. Errors are printed to stderr.
func Execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return run(ctx, NewOptions(stdout, stderr), args)
}

func run(ctx context.Context, opts *Options, args []string) int {
	root := NewRootCommand(opts)
	root.SetArgs(args)
	root.SetOut(opts.Out)
	root.SetErr(opts.Err)
	if opts.In != nil {
		root.SetIn(opts.In)
	}
	if err := root.ExecuteContext(ctx); err != nil {
		_, _ = fmt.Fprintf(opts.Err, "Error: %v\n", err)
		if errors.As(err, new(usageError)) {
			return ExitUsage
		}
		return ExitError
	}
	return ExitOK
}

// NewRootCommand builds the railyard command tree around opts.
func NewRootCommand(opts *Options) *cobra.Command {
	root := &cobra.Command{
		Use:   "railyard",
		Short: "Promote Freight through Stages from the terminal",
		Long: "railyard drives Railyard (Kargo-style continuous promotion) from the terminal.\n" +
			"It uses your kubeconfig like kubectl does and also works as 'kubectl railyard'.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("unknown command %q; run 'railyard --help' for the list", args[0])}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	opts.AddFlags(root.PersistentFlags())

	get := &cobra.Command{
		Use:   "get",
		Short: "Show Freight, Stages, Promotions, artifacts, the pipeline or webhook receivers",
		Args:  unknownSubcommand,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	get.AddCommand(newGetArtifactsCommand(opts), newGetPipelineCommand(opts), newGetReceiversCommand(opts),
		newGetFreightCommand(opts), newGetStagesCommand(opts), newGetPromotionsCommand(opts))

	refresh := &cobra.Command{
		Use:   "refresh",
		Short: "Ask a controller to reconcile an object now",
		Args:  unknownSubcommand,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	refresh.AddCommand(newRefreshWarehouseCommand(opts))

	create := &cobra.Command{
		Use:   "create",
		Short: "Create Freight by hand",
		Args:  unknownSubcommand,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	create.AddCommand(newCreateFreightCommand(opts))

	updateCmd := &cobra.Command{
		Use:   "update",
		Short: "Change a Freight's alias",
		Args:  unknownSubcommand,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	updateCmd.AddCommand(newUpdateFreightCommand(opts))

	abort := &cobra.Command{
		Use:   "abort",
		Short: "Abort a running Promotion",
		Args:  unknownSubcommand,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	abort.AddCommand(newAbortPromotionCommand(opts))

	verify := &cobra.Command{
		Use:   "verify",
		Short: "Verify a Stage's Freight again, or abort its verification",
		Args:  unknownSubcommand,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	verify.AddCommand(newVerifyStageCommand(opts))

	root.AddCommand(
		newVersionCommand(opts),
		get, refresh, create, updateCmd, abort, verify,
		newPromoteCommand(opts),
		newApproveCommand(opts),
		newConvertCommand(opts),
		newServeCommand(opts),
	)
	return root
}

func unknownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("unknown command %q for %q; run '%s --help'", args[0], cmd.CommandPath(), cmd.CommandPath())}
	}
	return nil
}

// exactArgs is cobra.ExactArgs with a usage error and a hint of what is
// missing.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Errorf("%s expects %s; usage: %s", cmd.CommandPath(), what, cmd.UseLine())}
		}
		return nil
	}
}
