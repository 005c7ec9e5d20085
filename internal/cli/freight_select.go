package cli

import (
	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/actions"
	"github.com/railyard-dev/railyard/internal/freight"
)

// ErrNotDiscovered is returned when a requested artifact is not among the
// Warehouse's discovered artifacts.
var ErrNotDiscovered = actions.ErrNotDiscovered

func parseWanted(flag string, values []string, normalize func(string) string) ([]*actions.Wanted, error) {
	out := make([]*actions.Wanted, 0, len(values))
	for _, v := range values {
		var repo, version string
		var err error
		if flag == "--commit" {
			repo, version, err = splitCommit(v)
		} else {
			repo, version, err = splitVersion(flag, v)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, &actions.Wanted{Flag: flag, Raw: v, Repo: normalize(repo), Version: version})
	}
	return out, nil
}

// selectArtifacts builds Freight from the Warehouse's discovered artifacts:
// the versions the request names, and the newest of every other
// subscription (actions.SelectArtifacts, shared with the web UI).
func selectArtifacts(wh *railyard.Warehouse, req freightRequest) (*railyard.Freight, error) {
	if wh.Status.DiscoveredArtifacts == nil {
		return actions.SelectArtifacts(wh, actions.Selection{})
	}
	images, err := parseWanted("--image", req.images, freight.NormalizeImageURL)
	if err != nil {
		return nil, err
	}
	charts, err := parseWanted("--chart", req.charts, freight.NormalizeChartURL)
	if err != nil {
		return nil, err
	}
	commits, err := parseWanted("--commit", req.commits, freight.NormalizeGitURL)
	if err != nil {
		return nil, err
	}
	return actions.SelectArtifacts(wh, actions.Selection{Images: images, Charts: charts, Commits: commits})
}
