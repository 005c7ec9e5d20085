package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// stageRow is one row of get stages.
type stageRow struct {
	Name string `json:"name"`
	// Freight holds the aliases (or short names) of the current Freight,
	// one per requested origin.
	Freight   []string       `json:"freight,omitempty"`
	Health    string         `json:"health,omitempty"`
	Ready     string         `json:"ready,omitempty"`
	Message   string         `json:"message,omitempty"`
	Promotion *promotionView `json:"promotion,omitempty"`
}

func newGetStagesCommand(opts *Options) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:     "stages [NAME ...]",
		Aliases: []string{"stage"},
		Short:   "List Stages with their current Freight, health and Promotion",
		Example: "  railyard get stages -n demo\n  railyard get stage staging -o json -n demo",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			ctx := cmd.Context()
			c, ns, err := opts.Client()
			if err != nil {
				return err
			}
			var stages railyard.StageList
			if err := c.List(ctx, &stages, client.InNamespace(ns)); err != nil {
				return explain(err, "list", "stages", "", ns)
			}
			items, err := selectByName(stages.Items, args, "Stage", ns, func(s *railyard.Stage) string { return s.Name })
			if err != nil {
				return err
			}
			var promos railyard.PromotionList
			if err := c.List(ctx, &promos, client.InNamespace(ns)); err != nil {
				return explain(err, "list", "promotions", "", ns)
			}
			aliases, err := freightAliases(ctx, c, ns)
			if err != nil {
				return err
			}
			rows := stageRows(items, promos.Items, aliases)
			return printData(opts.Out, format, rows, func(w io.Writer) error { return renderStages(w, rows) })
		},
	}
	addOutputFlag(cmd, &format)
	return cmd
}

// selectByName keeps the items named in want, in that order; all items,
// sorted by name, when want is empty.
func selectByName[T any](items []T, want []string, kind, ns string, name func(*T) string) ([]T, error) {
	if len(want) == 0 {
		sort.Slice(items, func(i, j int) bool { return name(&items[i]) < name(&items[j]) })
		return items, nil
	}
	out := make([]T, 0, len(want))
	for _, w := range want {
		i := 0
		for i < len(items) && name(&items[i]) != w {
			i++
		}
		if i == len(items) {
			names := make([]string, 0, len(items))
			for j := range items {
				names = append(names, name(&items[j]))
			}
			sort.Strings(names)
			return nil, fmt.Errorf("%s %q not found in namespace %s; it has: %s", kind, w, ns, orDash(strings.Join(names, ", ")))
		}
		out = append(out, items[i])
	}
	return out, nil
}

func stageRows(stages []railyard.Stage, promos []railyard.Promotion, aliases map[string]string) []stageRow {
	rows := make([]stageRow, 0, len(stages))
	for i := range stages {
		st := &stages[i]
		r := stageRow{Name: st.Name, Promotion: promotionOf(st, promos)}
		if len(st.Status.FreightHistory) > 0 {
			for _, key := range sortedKeys(st.Status.FreightHistory[0].Freight) {
				r.Freight = append(r.Freight, orAlias(aliases, st.Status.FreightHistory[0].Freight[key].Name))
			}
		}
		if st.Status.Health != nil {
			r.Health = string(st.Status.Health.Status)
		}
		if c := meta.FindStatusCondition(st.Status.Conditions, railyard.ConditionReady); c != nil {
			r.Ready, r.Message = string(c.Status), c.Message
		}
		rows = append(rows, r)
	}
	return rows
}

func renderStages(w io.Writer, rows []stageRow) error {
	tw := newTable(w)
	_, _ = fmt.Fprintln(tw, "NAME\tFREIGHT\tHEALTH\tREADY\tPROMOTION\tMESSAGE")
	for _, r := range rows {
		promo := "-"
		if p := r.Promotion; p != nil {
			promo = strings.TrimSpace(p.Phase + " " + p.Name)
		}
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, orDash(strings.Join(r.Freight, ",")), orDash(r.Health), orDash(r.Ready), promo, orDash(r.Message))
	}
	return tw.Flush()
}
