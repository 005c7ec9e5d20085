package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
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
	var existing railyard.Freight
	switch err := c.Get(ctx, client.ObjectKeyFromObject(f), &existing); {
	case err == nil:
		return printFreight(opts.Out, format, &existing, "already exists")
	case !apierrors.IsNotFound(err):
		return explain(err, "get", "freights", f.Name, ns)
	}
	// Freight applied by hand under another name may hold the content.
	same, err := freight.WithContent(ctx, c, ns, f.Name, false)
	if err != nil {
		return explain(err, "list", "freights", "", ns)
	}
	if len(same) > 0 {
		return printFreight(opts.Out, format, same[0], "already exists")
	}
	alias, err := chooseAlias(ctx, c, f, req.alias, "--alias")
	if err != nil {
		return err
	}
	f.Alias = alias
	f.Labels = map[string]string{railyard.LabelAlias: alias}
	if err := c.Create(ctx, f); err != nil {
		if apierrors.IsAlreadyExists(err) {
			if gerr := c.Get(ctx, client.ObjectKeyFromObject(f), &existing); gerr == nil {
				return printFreight(opts.Out, format, &existing, "already exists")
			}
		}
		return explain(err, "create", "freights", f.Name, ns)
	}
	return printFreight(opts.Out, format, f, "created")
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
