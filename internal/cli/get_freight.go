package cli

import (
	"context"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// freightView is one row of get freight.
type freightView struct {
	Name        string   `json:"name"`
	Alias       string   `json:"alias,omitempty"`
	Warehouse   string   `json:"warehouse"`
	Artifacts   []string `json:"artifacts"`
	CurrentlyIn []string `json:"currentlyIn,omitempty"`
	VerifiedIn  []string `json:"verifiedIn,omitempty"`
	ApprovedFor []string `json:"approvedFor,omitempty"`
}

func newGetFreightCommand(opts *Options) *cobra.Command {
	var format, warehouse string
	cmd := &cobra.Command{
		Use:     "freight [NAME|ALIAS ...] [--warehouse W]",
		Aliases: []string{"freights"},
		Short:   "List Freight, newest first, with where each is and has been verified",
		Example: "  railyard get freight -n demo\n  railyard get freight brave-otter -o yaml -n demo",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			c, ns, err := opts.Client()
			if err != nil {
				return err
			}
			fs, err := listFreight(cmd.Context(), c, ns, warehouse)
			if err != nil {
				return err
			}
			fs, err = selectFreight(fs, args, ns)
			if err != nil {
				return err
			}
			views := freightViews(fs)
			return printData(opts.Out, format, views, func(w io.Writer) error { return renderFreight(w, views) })
		},
	}
	cmd.Flags().StringVar(&warehouse, "warehouse", "", "only Freight of this Warehouse")
	addOutputFlag(cmd, &format)
	return cmd
}

// selectFreight keeps the Freight named (by name or alias) in want, in
// the order given; all of fs when want is empty.
func selectFreight(fs []railyard.Freight, want []string, ns string) ([]railyard.Freight, error) {
	if len(want) == 0 {
		return fs, nil
	}
	out := make([]railyard.Freight, 0, len(want))
	for _, w := range want {
		found := false
		for i := range fs {
			if fs[i].Name == w || aliasOf(&fs[i]) == w {
				out = append(out, fs[i])
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("no freight is named or aliased %q in namespace %s; 'railyard get freight -n %s' lists them", w, ns, ns)
		}
	}
	return out, nil
}

// freightViews describes fs newest first, by discovery time as Kargo
// orders Freight.
func freightViews(fs []railyard.Freight) []freightView {
	sorted := make([]*railyard.Freight, len(fs))
	for i := range fs {
		sorted[i] = &fs[i]
	}
	sortNewestFirst(sorted)
	views := make([]freightView, 0, len(fs))
	for _, f := range sorted {
		v := freightView{Name: f.Name, Alias: aliasOf(f), Warehouse: f.Origin.Name, Artifacts: []string{}}
		for _, im := range f.Images {
			v.Artifacts = append(v.Artifacts, path.Base(im.RepoURL)+":"+im.Tag)
		}
		for _, ch := range f.Charts {
			v.Artifacts = append(v.Artifacts, "chart "+orDefault(ch.Name, path.Base(ch.RepoURL))+":"+ch.Version)
		}
		for _, co := range f.Commits {
			v.Artifacts = append(v.Artifacts, "commit "+short(co.ID, 7))
		}
		v.CurrentlyIn = sortedKeys(f.Status.CurrentlyIn)
		v.VerifiedIn = sortedKeys(f.Status.VerifiedIn)
		v.ApprovedFor = sortedKeys(f.Status.ApprovedFor)
		views = append(views, v)
	}
	return views
}

func renderFreight(w io.Writer, views []freightView) error {
	tw := newTable(w)
	_, _ = fmt.Fprintln(tw, "NAME\tALIAS\tWAREHOUSE\tARTIFACTS\tIN\tVERIFIED IN\tAPPROVED FOR")
	for _, v := range views {
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", short(v.Name, 7), orDash(v.Alias), v.Warehouse,
			orDash(strings.Join(v.Artifacts, ", ")), orDash(strings.Join(v.CurrentlyIn, ",")),
			orDash(strings.Join(v.VerifiedIn, ",")), orDash(strings.Join(v.ApprovedFor, ",")))
	}
	return tw.Flush()
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// freightAliases maps Freight names to aliases.
func freightAliases(ctx context.Context, c client.Client, ns string) (map[string]string, error) {
	fs, err := listFreight(ctx, c, ns, "")
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(fs))
	for i := range fs {
		out[fs[i].Name] = aliasOf(&fs[i])
	}
	return out, nil
}
