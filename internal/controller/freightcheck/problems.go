package freightcheck

import (
	"fmt"
	"strings"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/warehouse"
	"github.com/railyard-dev/railyard/internal/freight"
	"github.com/railyard-dev/railyard/internal/git/redact"
)

// freightProblems lists why f does not fit w, its origin Warehouse (nil when
// it does not exist). same is an older Freight with f's content, if any.
//
// Freight is identified by its content (freight.IDOf), not by its name:
// Kargo users apply Freight under names of their own, which Kargo's webhook
// replaces by the content hash. Railyard keeps the name and looks Freight up
// by content, so such Freight is accepted when it fits and is the only one
// with its content.
func freightProblems(f *railyard.Freight, w *railyard.Warehouse, same *railyard.Freight) []string {
	var problems []string
	if same != nil {
		problems = append(problems, fmt.Sprintf("holds the same artifacts as Freight %s, created before it", same.Name))
	}
	if f.Origin.Kind != railyard.FreightOriginKindWarehouse {
		return append(problems, fmt.Sprintf("origin kind %q is not Warehouse", f.Origin.Kind))
	}
	if w == nil {
		return append(problems, fmt.Sprintf("origin Warehouse %s does not exist in namespace %s", f.Origin.Name, f.Namespace))
	}
	used := struct{ images, charts, commits []bool }{
		make([]bool, len(f.Images)), make([]bool, len(f.Charts)), make([]bool, len(f.Commits)),
	}
	for i := range w.Spec.Subscriptions {
		sub := &w.Spec.Subscriptions[i]
		var n int
		switch {
		case sub.Image != nil:
			n = mark(used.images, func(j int) bool { return imageFits(&f.Images[j], sub) })
		case sub.Chart != nil:
			n = mark(used.charts, func(j int) bool { return chartFits(&f.Charts[j], sub) })
		case sub.Git != nil:
			n = mark(used.commits, func(j int) bool { return commitFits(&f.Commits[j], sub) })
		}
		if n != 1 {
			problems = append(problems, fmt.Sprintf("has %d artifacts for the subscription to %s of Warehouse %s, want exactly one",
				n, warehouse.DescribeSubscription(sub), w.Name))
		}
	}
	for j, ok := range used.images {
		if !ok {
			problems = append(problems, fmt.Sprintf("image %s:%s matches no subscription of Warehouse %s", redact.URL(f.Images[j].RepoURL), f.Images[j].Tag, w.Name))
		}
	}
	for j, ok := range used.charts {
		if !ok {
			problems = append(problems, fmt.Sprintf("chart %s %s matches no subscription of Warehouse %s",
				strings.TrimSuffix(redact.URL(f.Charts[j].RepoURL)+"/"+f.Charts[j].Name, "/"), f.Charts[j].Version, w.Name))
		}
	}
	for j, ok := range used.commits {
		if !ok {
			problems = append(problems, fmt.Sprintf("commit %s of %s matches no subscription of Warehouse %s", f.Commits[j].ID, redact.URL(f.Commits[j].RepoURL), w.Name))
		}
	}
	return problems
}

// mark flags the artifacts that fit and returns how many did.
func mark(used []bool, fits func(int) bool) int {
	n := 0
	for j := range used {
		if fits(j) {
			used[j] = true
			n++
		}
	}
	return n
}

func imageFits(i *railyard.Image, sub *railyard.RepoSubscription) bool {
	return i.SubscriptionName == sub.Name && freight.NormalizeImageURL(i.RepoURL) == freight.NormalizeImageURL(sub.Image.RepoURL)
}

func chartFits(c *railyard.Chart, sub *railyard.RepoSubscription) bool {
	return c.SubscriptionName == sub.Name && c.Name == sub.Chart.Name &&
		freight.NormalizeChartURL(c.RepoURL) == freight.NormalizeChartURL(sub.Chart.RepoURL)
}

func commitFits(c *railyard.GitCommit, sub *railyard.RepoSubscription) bool {
	return c.SubscriptionName == sub.Name && freight.NormalizeGitURL(c.RepoURL) == freight.NormalizeGitURL(sub.Git.RepoURL)
}
