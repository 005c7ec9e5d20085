package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/actions"
	"github.com/railyard-dev/railyard/internal/freight"
)

// freightRequest is what create freight was asked for.
type freightRequest struct {
	warehouse string
	images    []string
	charts    []string
	commits   []string
	alias     string
}

func newCreateFreightCommand(opts *Options) *cobra.Command {
	var req freightRequest
	var format string
	cmd := &cobra.Command{
		Use:   "freight --warehouse W [--image REPO:TAG] [--chart REPO[/NAME]:VERSION] [--commit REPO@SHA] [--alias A]",
		Short: "Create Freight from artifacts a Warehouse discovered",
		Long: "Creates Freight from the Warehouse's discovered artifacts. Subscriptions you do\n" +
			"not name take their newest discovered artifact. Artifacts must have been discovered:\n" +
			"run 'railyard refresh warehouse W --wait' first if one is missing. Creating the same\n" +
			"Freight twice is harmless: it is named by its content.",
		Example: "  railyard create freight --warehouse titiler --image ghcr.io/acme/titiler:v1.2.0 -n demo\n" +
			"  railyard create freight --warehouse titiler --chart https://charts.example.com/titiler:1.4.0 \\\n" +
			"      --commit https://github.com/acme/gitops.git@1a2b3c4 --alias hotfix",
		Args: exactArgs(0, "flags only"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			if req.warehouse == "" {
				return usageError{fmt.Errorf("--warehouse is required")}
			}
			return createFreight(cmd.Context(), opts, req, format)
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.warehouse, "warehouse", "", "the Warehouse the Freight comes from")
	f.StringArrayVar(&req.images, "image", nil, "image REPO:TAG (repeatable)")
	f.StringArrayVar(&req.charts, "chart", nil, "chart REPO[/NAME]:VERSION (repeatable)")
	f.StringArrayVar(&req.commits, "commit", nil, "git commit REPO@SHA, a prefix of the hash is enough (repeatable)")
	f.StringVar(&req.alias, "alias", "", "alias of the Freight (default: generated)")
	addOutputFlag(cmd, &format)
	return cmd
}

func createFreight(ctx context.Context, opts *Options, req freightRequest, format string) error {
	c, ns, err := opts.Client()
	if err != nil {
		return err
	}
	var wh railyard.Warehouse
	if err := getOrList(ctx, c, ns, req.warehouse, "Warehouse", &wh, &railyard.WarehouseList{}); err != nil {
		return err
	}
	f, err := selectArtifacts(&wh, req)
	if err != nil {
		return err
	}
	f.Namespace = ns
	f.Name = freight.IDOf(f)
	got, created, err := actions.CreateFreight(ctx, c, c, f, req.alias, false)
	var taken *freight.AliasTakenError
	var apiErr *actions.APIError
	switch {
	case errors.As(err, &taken):
		return fmt.Errorf("%w; choose another %s", err, "--alias")
	case errors.As(err, &apiErr):
		return explain(apiErr.Err, apiErr.Verb, apiErr.Resource, apiErr.Name, ns)
	case err != nil:
		return err
	case !created:
		return printFreight(opts.Out, format, got, "already exists")
	}
	return printFreight(opts.Out, format, got, "created")
}

func printFreight(w io.Writer, format string, f *railyard.Freight, what string) error {
	f.SetGroupVersionKind(railyard.GroupVersion.WithKind("Freight"))
	f.ManagedFields = nil
	return printData(w, format, f, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "freight/%s %s (alias %s): %s\n", f.Name, what, orDash(aliasOf(f)), artifactSummary(f.Images, f.Charts, f.Commits))
		return err
	})
}

// chooseAlias is want (the value of flag) when free, else a generated
// alias, as freight.ChooseAlias decides; a taken want is an error that
// names flag, never replaced by a generated alias.
func chooseAlias(ctx context.Context, c client.Reader, f *railyard.Freight, want, flag string) (string, error) {
	alias, err := freight.ChooseAlias(ctx, c, f, want)
	var taken *freight.AliasTakenError
	switch {
	case errors.As(err, &taken):
		return "", fmt.Errorf("%w; choose another %s", err, flag)
	case err != nil:
		return "", explain(err, "list", "freights", "", f.Namespace)
	}
	return alias, nil
}
