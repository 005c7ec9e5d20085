package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
)

func newApproveCommand(opts *Options) *cobra.Command {
	var freightName, stageName string
	cmd := &cobra.Command{
		Use:   "approve --freight F --stage S",
		Short: "Approve Freight for a Stage, skipping upstream verification",
		Long: "Records in the Freight's status that it is approved for the Stage, which makes it\n" +
			"available there whatever the upstream Stages say. F is a name or an alias.",
		Example: "  railyard approve --freight brave-otter --stage prod -n demo",
		Args:    exactArgs(0, "flags only"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if freightName == "" || stageName == "" {
				return usageError{fmt.Errorf("--freight and --stage are required")}
			}
			return approve(cmd.Context(), opts, freightName, stageName)
		},
	}
	cmd.Flags().StringVar(&freightName, "freight", "", "name or alias of the Freight")
	cmd.Flags().StringVar(&stageName, "stage", "", "the Stage to approve it for")
	return cmd
}

func approve(ctx context.Context, opts *Options, freightName, stageName string) error {
	c, ns, err := opts.Client()
	if err != nil {
		return err
	}
	var stage railyard.Stage
	if err := getOrList(ctx, c, ns, stageName, "Stage", &stage, &railyard.StageList{}); err != nil {
		return err
	}
	f, err := freightByNameOrAlias(ctx, c, ns, freightName)
	if err != nil {
		return err
	}
	if requestFor(&stage, f.Origin) == nil {
		return fmt.Errorf("stage %s does not request Freight from warehouse %s (it requests from: %v), so approving %s for it would have no effect",
			stage.Name, f.Origin.Name, requestedOrigins(&stage), freightLabel(f))
	}
	base := f.DeepCopy()
	if !freight.Approve(f, stage.Name, opts.Now().UTC()) {
		_, _ = fmt.Fprintf(opts.Out, "freight %s is already approved for stage %s\n", freightLabel(f), stage.Name)
		return nil
	}
	// The merge patch carries only the new approvedFor entry.
	if err := c.Status().Patch(ctx, f, client.MergeFrom(base)); err != nil {
		return explain(err, "patch", "freights/status", f.Name, ns)
	}
	_, _ = fmt.Fprintf(opts.Out, "freight %s approved for stage %s\n", freightLabel(f), stage.Name)
	return nil
}

// freightByNameOrAlias accepts either, as people remember aliases.
func freightByNameOrAlias(ctx context.Context, c client.Client, ns, s string) (*railyard.Freight, error) {
	var f railyard.Freight
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: s}, &f); err == nil {
		return &f, nil
	}
	return findFreight(ctx, c, ns, "", s)
}
