package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/actions"
)

// The views of get pipeline live in internal/actions, shared with the web UI.
type (
	pipelineView  = actions.Pipeline
	warehouseView = actions.WarehouseView
	promotionView = actions.PromotionView
)

func newGetPipelineCommand(opts *Options) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:     "pipeline",
		Aliases: []string{"pipelines"},
		Short:   "Picture each Warehouse and its Stages in promotion order",
		Long: "Shows, per Warehouse, its Stages in promotion order (those fed directly first),\n" +
			"each with its current Freight, health, and running or last Promotion.",
		Example: "  railyard get pipeline --project demo",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			return getPipeline(cmd.Context(), opts, format)
		},
	}
	addOutputFlag(cmd, &format)
	return cmd
}

func getPipeline(ctx context.Context, opts *Options, format string) error {
	c, ns, err := opts.Client()
	if err != nil {
		return err
	}
	var whs railyard.WarehouseList
	if err := c.List(ctx, &whs, client.InNamespace(ns)); err != nil {
		return explain(err, "list", "warehouses", "", ns)
	}
	var stages railyard.StageList
	if err := c.List(ctx, &stages, client.InNamespace(ns)); err != nil {
		return explain(err, "list", "stages", "", ns)
	}
	var promos railyard.PromotionList
	if err := c.List(ctx, &promos, client.InNamespace(ns)); err != nil {
		return explain(err, "list", "promotions", "", ns)
	}
	fr, err := listFreight(ctx, c, ns, "")
	if err != nil {
		return err
	}
	view := buildPipeline(ns, whs.Items, stages.Items, promos.Items, fr)
	return printData(opts.Out, format, view, func(w io.Writer) error { return renderPipeline(w, view) })
}

// buildPipeline computes the view from listed objects (actions.BuildPipeline).
func buildPipeline(ns string, whs []railyard.Warehouse, stages []railyard.Stage, promos []railyard.Promotion, fr []railyard.Freight) pipelineView {
	return actions.BuildPipeline(ns, whs, stages, promos, fr)
}

func orAlias(aliases map[string]string, name string) string { return actions.OrAlias(aliases, name) }

// promotionOf returns the Stage's running Promotion, else its last one.
func promotionOf(st *railyard.Stage, promos []railyard.Promotion) *promotionView {
	return actions.PromotionOf(st, promos)
}

// newer orders Promotions by creation, then by name.
func newer(a, b *railyard.Promotion) bool { return actions.Newer(a, b) }
