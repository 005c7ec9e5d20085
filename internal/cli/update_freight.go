package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func newUpdateFreightCommand(opts *Options) *cobra.Command {
	var name, oldAlias, newAlias, format string
	cmd := &cobra.Command{
		Use:   "freight (--name NAME | --old-alias ALIAS) --new-alias ALIAS",
		Short: "Change a Freight's alias",
		Long: "Sets the Freight's alias and its railyard.dev/alias label (and Kargo's\n" +
			"kargo.akuity.io/alias label when it carries one). The alias must be free in the project.",
		Example: "  railyard update freight --old-alias brave-otter --new-alias release-1-2 -n demo",
		Args:    exactArgs(0, "flags only"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (name == "") == (oldAlias == "") || newAlias == "" {
				return usageError{fmt.Errorf("give --new-alias and exactly one of --name or --old-alias")}
			}
			if errs := validation.IsDNS1123Label(newAlias); len(errs) > 0 {
				return usageError{fmt.Errorf("--new-alias %q is not a valid alias: %s", newAlias, errs[0])}
			}
			if err := checkFormat(format); err != nil {
				return err
			}
			return updateFreightAlias(cmd.Context(), opts, name, oldAlias, newAlias, format)
		},
	}
	addOutputFlag(cmd, &format)
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "name of the Freight")
	f.StringVar(&oldAlias, "old-alias", "", "current alias of the Freight")
	f.StringVar(&newAlias, "new-alias", "", "the alias to give it")
	return cmd
}

// updateFreightAlias gives the Freight newAlias. With -o json|yaml it
// prints the Freight as get freight does, and the news on stderr.
func updateFreightAlias(ctx context.Context, opts *Options, name, oldAlias, newAlias, format string) error {
	news := opts.Out
	if format != formatTable {
		news = opts.Err
	}
	c, ns, err := opts.Client()
	if err != nil {
		return err
	}
	f, err := findFreight(ctx, c, ns, name, oldAlias)
	if err != nil {
		return err
	}
	before := freightLabel(f)
	if aliasOf(f) == newAlias {
		_, _ = fmt.Fprintf(news, "freight %s already has alias %s\n", before, newAlias)
		return printUpdated(opts, format, f)
	}
	if _, err := chooseAlias(ctx, c, f, newAlias, "--new-alias"); err != nil {
		return err
	}
	labels := map[string]string{railyard.LabelAlias: newAlias}
	if _, ok := f.Labels[railyard.LabelKargoAlias]; ok {
		labels[railyard.LabelKargoAlias] = newAlias
	}
	// A merge patch with the resourceVersion fails if someone changed the
	// Freight since it was read, rather than overwriting their alias.
	patch, err := json.Marshal(map[string]any{
		"metadata": map[string]any{"labels": labels, "resourceVersion": f.ResourceVersion},
		"alias":    newAlias,
	})
	if err != nil {
		return fmt.Errorf("encoding patch: %w", err)
	}
	if err := c.Patch(ctx, f, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return explain(err, "patch", "freights", f.Name, ns)
	}
	_, _ = fmt.Fprintf(news, "freight %s now has alias %s\n", before, newAlias)
	return printUpdated(opts, format, f)
}

func printUpdated(opts *Options, format string, f *railyard.Freight) error {
	if format == formatTable {
		return nil
	}
	return printData(opts.Out, format, freightViews([]railyard.Freight{*f}), nil)
}
