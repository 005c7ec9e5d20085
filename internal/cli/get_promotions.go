package cli

import (
	"fmt"
	"io"
	"sort"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// promotionRow is one row of get promotions.
type promotionRow struct {
	Name  string `json:"name"`
	Stage string `json:"stage"`
	// Freight is the alias (or name) of the Freight promoted: the resolved
	// status.freight, else spec.freight.
	Freight  string `json:"freight,omitempty"`
	Phase    string `json:"phase,omitempty"`
	Steps    string `json:"steps,omitempty"`
	Finished string `json:"finished,omitempty"`
	Message  string `json:"message,omitempty"`
}

func newGetPromotionsCommand(opts *Options) *cobra.Command {
	var format, stage string
	cmd := &cobra.Command{
		Use:     "promotions [NAME ...] [--stage S]",
		Aliases: []string{"promotion", "promos", "promo"},
		Short:   "List Promotions, newest first: the promotion history of the project or of one Stage",
		Example: "  railyard get promotions --stage staging -n demo",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			ctx := cmd.Context()
			c, ns, err := opts.Client()
			if err != nil {
				return err
			}
			var list railyard.PromotionList
			if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
				return explain(err, "list", "promotions", "", ns)
			}
			items := list.Items[:0]
			for _, p := range list.Items {
				if stage == "" || p.Spec.Stage == stage {
					items = append(items, p)
				}
			}
			if len(args) > 0 {
				if items, err = selectByName(items, args, "Promotion", ns, func(p *railyard.Promotion) string { return p.Name }); err != nil {
					return err
				}
			} else {
				sort.SliceStable(items, func(i, j int) bool { return laterInHistory(&items[i], &items[j]) })
			}
			aliases, err := freightAliases(ctx, c, ns)
			if err != nil {
				return err
			}
			rows := promotionRows(items, aliases)
			return printData(opts.Out, format, rows, func(w io.Writer) error { return renderPromotions(w, rows) })
		},
	}
	cmd.Flags().StringVar(&stage, "stage", "", "only Promotions to this Stage")
	addOutputFlag(cmd, &format)
	return cmd
}

func promotionRows(promos []railyard.Promotion, aliases map[string]string) []promotionRow {
	rows := make([]promotionRow, 0, len(promos))
	for i := range promos {
		p := &promos[i]
		r := promotionRow{Name: p.Name, Stage: p.Spec.Stage, Phase: string(p.Status.Phase), Message: p.Status.Message}
		name := p.Spec.Freight
		if p.Status.Freight != nil && p.Status.Freight.Name != "" {
			name = p.Status.Freight.Name
		}
		if name != "" {
			r.Freight = orAlias(aliases, name)
		}
		if n := len(p.Status.StepExecutionMetadata); n > 0 {
			done := 0
			for _, s := range p.Status.StepExecutionMetadata {
				if s.Status == railyard.StepStatusSucceeded || s.Status == railyard.StepStatusSkipped {
					done++
				}
			}
			r.Steps = fmt.Sprintf("%d/%d", done, max(n, len(p.Spec.Steps)))
		}
		if p.Status.FinishedAt != nil {
			r.Finished = p.Status.FinishedAt.UTC().Format("2006-01-02T15:04:05Z")
		}
		rows = append(rows, r)
	}
	return rows
}

func renderPromotions(w io.Writer, rows []promotionRow) error {
	tw := newTable(w)
	_, _ = fmt.Fprintln(tw, "NAME\tSTAGE\tFREIGHT\tPHASE\tSTEPS\tFINISHED\tMESSAGE")
	for _, r := range rows {
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Stage, orDash(r.Freight), orDash(r.Phase), orDash(r.Steps), orDash(r.Finished), orDash(r.Message))
	}
	return tw.Flush()
}

// laterInHistory orders Promotions for a history, newest first: unfinished
// ones, then by finish time, then by creation.
func laterInHistory(a, b *railyard.Promotion) bool {
	fa, fb := a.Status.FinishedAt, b.Status.FinishedAt
	switch {
	case fa == nil && fb != nil:
		return true
	case fa != nil && fb == nil:
		return false
	case fa != nil && !fa.Equal(fb):
		return fb.Before(fa)
	}
	return newer(a, b)
}
