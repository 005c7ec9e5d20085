package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

func newConvertCommand(opts *Options) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "convert -f FILE|-",
		Short: "Turn Kargo manifests into Railyard manifests",
		Long: "Rewrites Kargo manifests for Railyard: apiVersion kargo.akuity.io/v1alpha1 becomes\n" +
			"railyard.dev/v1alpha1 and kargo.akuity.io/ label and annotation keys on Railyard kinds\n" +
			"become railyard.dev/. Argo CD Applications, Secrets and other kinds are left alone:\n" +
			"Railyard honours the Kargo keys it knows there. Comments are kept. Whatever Railyard does not\n" +
			"support yet is listed on stderr with its file and line number: Kargo-only kinds and fields,\n" +
			"promotion steps, step config fields and expression functions Railyard does not have, and\n" +
			"kargo.akuity.io/ keys it does not honour.",
		Example: "  railyard convert -f kargo.yaml > railyard.yaml\n  cat project.yaml | railyard convert -f -",
		Args:    exactArgs(0, "-f FILE"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return usageError{fmt.Errorf("-f FILE is required (- reads standard input)")}
			}
			var in []byte
			var err error
			if file == "-" {
				in, err = io.ReadAll(cmd.InOrStdin())
			} else {
				in, err = os.ReadFile(file)
			}
			if err != nil {
				return fmt.Errorf("reading %s: %w", file, err)
			}
			out, findings, err := Convert(in)
			if err != nil {
				return fmt.Errorf("converting %s: %w", file, err)
			}
			if _, err := opts.Out.Write(out); err != nil {
				return err
			}
			// Findings name the file as compilers do; standard input has
			// no name, so its findings carry the line alone.
			prefix := ""
			if file != "-" {
				prefix = file + ": "
			}
			for _, f := range findings {
				_, _ = fmt.Fprintln(opts.Err, prefix+f.String())
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "filename", "f", "", "file of Kargo manifests, or - for standard input")
	return cmd
}
