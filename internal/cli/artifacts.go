package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
)

// artifactRow is one discovered artifact, as printed by get artifacts.
type artifactRow struct {
	// Kind is image, chart or git.
	Kind         string `json:"kind"`
	RepoURL      string `json:"repoURL"`
	Name         string `json:"name,omitempty"`
	Subscription string `json:"subscription,omitempty"`
	// Version is the image tag, chart version or commit ID.
	Version string `json:"version"`
	Digest  string `json:"digest,omitempty"`
	// Detail is the branch or tag and subject of a commit.
	Detail string `json:"detail,omitempty"`
	// Freight names the Freight (by alias) already holding the artifact.
	Freight []string `json:"freight,omitempty"`
}

func newGetArtifactsCommand(opts *Options) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "artifacts WAREHOUSE",
		Short: "List what a Warehouse discovered, newest first",
		Long: "Lists the image tags, chart versions and commits the Warehouse discovered,\n" +
			"newest first per subscription, with the Freight that already holds each.",
		Example: "  railyard get artifacts titiler -n demo",
		Args:    exactArgs(1, "the name of a Warehouse"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			return getArtifacts(cmd.Context(), opts, args[0], format)
		},
	}
	addOutputFlag(cmd, &format)
	return cmd
}

func getArtifacts(ctx context.Context, opts *Options, name, format string) error {
	c, ns, err := opts.Client()
	if err != nil {
		return err
	}
	var wh railyard.Warehouse
	if err := getOrList(ctx, c, ns, name, "Warehouse", &wh, &railyard.WarehouseList{}); err != nil {
		return err
	}
	da := wh.Status.DiscoveredArtifacts
	if da == nil {
		return fmt.Errorf("warehouse/%s has not discovered anything yet: run 'railyard refresh warehouse %s --wait -n %s'", name, name, ns)
	}
	list, err := listFreight(ctx, c, ns, name)
	if err != nil {
		return err
	}
	rows := artifactRows(da, indexFreight(list))
	return printData(opts.Out, format, rows, func(w io.Writer) error {
		tw := newTable(w)
		_, _ = fmt.Fprintln(tw, "KIND\tREPOSITORY\tVERSION\tDETAIL\tFREIGHT")
		for _, r := range rows {
			version, detail := r.Version, r.Detail
			switch r.Kind {
			case "git":
				version = short(version, 7)
			case "image":
				detail = short(r.Digest, 19)
			}
			repo := r.RepoURL
			if r.Name != "" {
				repo = chartPath(repo, r.Name)
			}
			_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Kind, repo, version, orDash(detail), orDash(strings.Join(r.Freight, ",")))
		}
		return tw.Flush()
	})
}

// freightIndex maps artifact keys to the Freight holding them.
type freightIndex map[string][]string

func imageKey(repo, tag string) string {
	return "image|" + freight.NormalizeImageURL(repo) + "|" + tag
}

func chartKey(repo, name, version string) string {
	return "chart|" + chartPath(freight.NormalizeChartURL(repo), name) + "|" + version
}

func commitKey(repo, id string) string {
	return "git|" + freight.NormalizeGitURL(repo) + "|" + id
}

func indexFreight(list []railyard.Freight) freightIndex {
	idx := freightIndex{}
	for i := range list {
		f := &list[i]
		label := aliasOf(f)
		if label == "" {
			label = short(f.Name, 7)
		}
		for _, im := range f.Images {
			k := imageKey(im.RepoURL, im.Tag)
			idx[k] = append(idx[k], label)
		}
		for _, ch := range f.Charts {
			k := chartKey(ch.RepoURL, ch.Name, ch.Version)
			idx[k] = append(idx[k], label)
		}
		for _, co := range f.Commits {
			k := commitKey(co.RepoURL, co.ID)
			idx[k] = append(idx[k], label)
		}
	}
	for k := range idx {
		sort.Strings(idx[k])
	}
	return idx
}

// artifactRows flattens discovery results, keeping each subscription's
// newest-first order.
func artifactRows(da *railyard.DiscoveredArtifacts, idx freightIndex) []artifactRow {
	var rows []artifactRow
	for _, res := range da.Images {
		for _, ref := range res.References {
			rows = append(rows, artifactRow{
				Kind: "image", RepoURL: res.RepoURL, Subscription: res.SubscriptionName,
				Version: ref.Tag, Digest: ref.Digest, Freight: idx[imageKey(res.RepoURL, ref.Tag)],
			})
		}
	}
	for _, res := range da.Charts {
		for _, v := range res.Versions {
			rows = append(rows, artifactRow{
				Kind: "chart", RepoURL: res.RepoURL, Name: res.Name, Subscription: res.SubscriptionName,
				Version: v, Freight: idx[chartKey(res.RepoURL, res.Name, v)],
			})
		}
	}
	for _, res := range da.Git {
		for _, co := range res.Commits {
			ref := co.Tag
			if ref == "" {
				ref = co.Branch
			}
			detail := strings.TrimSpace(ref + " " + quoteIfSet(co.Subject))
			rows = append(rows, artifactRow{
				Kind: "git", RepoURL: res.RepoURL, Subscription: res.SubscriptionName,
				Version: co.ID, Detail: detail, Freight: idx[commitKey(res.RepoURL, co.ID)],
			})
		}
	}
	return rows
}

func quoteIfSet(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf("%q", s)
}

// artifactSummary renders a Freight's artifacts on one line, for example
// "ghcr.io/acme/app:v1.2.0, chart titiler:1.0.0, commit 1a2b3c4".
func artifactSummary(images []railyard.Image, charts []railyard.Chart, commits []railyard.GitCommit) string {
	var parts []string
	for _, im := range images {
		parts = append(parts, im.RepoURL+":"+im.Tag)
	}
	for _, ch := range charts {
		parts = append(parts, "chart "+chartPath(ch.RepoURL, ch.Name)+":"+ch.Version)
	}
	for _, co := range commits {
		parts = append(parts, "commit "+short(co.ID, 7))
	}
	return strings.Join(parts, ", ")
}
