package webhook

import (
	"slices"

	"k8s.io/apimachinery/pkg/types"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// Match returns the Warehouses among warehouses that subscribe to a
// repository the event names and whose subscription could discover what was
// pushed (see qualifies), in the given order. Callers pass one project's
// Warehouses, which is what confines a receiver to its project.
func Match(ev Event, warehouses []railyard.Warehouse) []types.NamespacedName {
	if ev.Ping || ev.Ignored || ev.PullRequest {
		return nil
	}
	var out []types.NamespacedName
	for i := range warehouses {
		w := &warehouses[i]
		if slices.ContainsFunc(w.Spec.Subscriptions, func(s railyard.RepoSubscription) bool {
			return subscribed(ev, s) && qualifies(ev, s)
		}) {
			out = append(out, types.NamespacedName{Namespace: w.Namespace, Name: w.Name})
		}
	}
	return out
}

func subscribed(ev Event, s railyard.RepoSubscription) bool {
	switch {
	case s.Git != nil:
		return s.Git.RepoURL != "" && slices.Contains(ev.GitURLs, NormalizeGitURL(s.Git.RepoURL))
	case s.Image != nil:
		return s.Image.RepoURL != "" && slices.Contains(ev.ImageRepos, NormalizeImageRepo(s.Image.RepoURL))
	case s.Chart != nil:
		// An HTTP(S) repository serves many charts under its own URL; an
		// OCI reference names one chart, so the repository is the chart.
		return s.Chart.RepoURL != "" && slices.Contains(ev.ChartRepos, NormalizeChartRepo(s.Chart.RepoURL))
	}
	return false
}
