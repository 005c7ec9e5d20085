package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/railyard-dev/railyard/internal/version"
)

func newVersionCommand(opts *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of railyard",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(_ *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(opts.Out, "railyard %s\n", version.Get())
			return err
		},
	}
}
