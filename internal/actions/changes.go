package actions

import (
	"sort"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
)

// Change is how one artifact differs between the Freight a Stage runs and
// another Freight of the same Warehouse: an image tag, a chart version or a
// commit, from → to.
type Change struct {
	// Kind is image, chart or git.
	Kind string `json:"kind"`
	// Repo is the image or git repository, or the chart's path.
	Repo string `json:"repo"`
	// From and To are the tag, version or commit ID; From is empty when
	// the Stage runs nothing from this subscription, To when the other
	// Freight has none.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Changed is false when both Freight hold the same version.
	Changed bool `json:"changed"`
	// Commits are, for git, the commits after From up to To, newest first,
	// as the Warehouse's last discovery listed them (for a branch, its
	// first-parent history; for tags, the tagged commits). Going back to an
	// older commit lists the commits left out, and Back is set.
	Commits []railyard.DiscoveredCommit `json:"commits,omitempty"`
	Back    bool                        `json:"back,omitempty"`
	// CommitsKnown is false when discovery's list does not reach From or To
	// (it keeps the newest discoveryLimit commits), so Commits is partial
	// (those known newer than From) or empty.
	CommitsKnown bool `json:"commitsKnown"`
}

// ChangesBetween lists, per artifact, what changes when a Stage running
// from (nil: nothing yet) takes to. Commits between come from wh's
// discovered artifacts only (wh may be nil): the UI has no credentials to
// clone repositories. Artifacts are matched by subscription name when both
// have one, else by repository (and chart name).
func ChangesBetween(from, to *railyard.Freight, wh *railyard.Warehouse) []Change {
	if from == nil {
		from = &railyard.Freight{}
	}
	var out []Change
	for _, im := range to.Images {
		c := Change{Kind: "image", Repo: im.RepoURL, To: im.Tag}
		for _, old := range from.Images {
			if sameSub(old.SubscriptionName, im.SubscriptionName) && freight.NormalizeImageURL(old.RepoURL) == freight.NormalizeImageURL(im.RepoURL) {
				c.From = old.Tag
				c.Changed = old.Tag != im.Tag || (old.Digest != "" && im.Digest != "" && old.Digest != im.Digest)
				break
			}
		}
		c.Changed = c.Changed || c.From == ""
		out = append(out, c)
	}
	for _, ch := range to.Charts {
		c := Change{Kind: "chart", Repo: ChartPath(ch.RepoURL, ch.Name), To: ch.Version}
		for _, old := range from.Charts {
			if sameSub(old.SubscriptionName, ch.SubscriptionName) && old.Name == ch.Name &&
				freight.NormalizeChartURL(old.RepoURL) == freight.NormalizeChartURL(ch.RepoURL) {
				c.From = old.Version
				break
			}
		}
		c.Changed = c.From != c.To
		out = append(out, c)
	}
	for _, co := range to.Commits {
		c := Change{Kind: "git", Repo: co.RepoURL, To: co.ID}
		for _, old := range from.Commits {
			if sameSub(old.SubscriptionName, co.SubscriptionName) && freight.NormalizeGitURL(old.RepoURL) == freight.NormalizeGitURL(co.RepoURL) {
				c.From = old.ID
				break
			}
		}
		c.Changed = c.From != c.To
		c.CommitsKnown = !c.Changed
		if c.Changed {
			c.Commits, c.Back, c.CommitsKnown = commitsBetween(discoveredCommits(wh, co), c.From, c.To)
		}
		out = append(out, c)
	}
	sort.SliceStable(out, func(i, j int) bool { return kindOrder[out[i].Kind] < kindOrder[out[j].Kind] })
	return out
}

var kindOrder = map[string]int{"image": 0, "chart": 1, "git": 2}

func sameSub(a, b string) bool { return a == "" || b == "" || a == b }

// discoveredCommits is the Warehouse's discovered list for co's repository.
func discoveredCommits(wh *railyard.Warehouse, co railyard.GitCommit) []railyard.DiscoveredCommit {
	if wh == nil || wh.Status.DiscoveredArtifacts == nil {
		return nil
	}
	for _, res := range wh.Status.DiscoveredArtifacts.Git {
		if sameSub(res.SubscriptionName, co.SubscriptionName) && freight.NormalizeGitURL(res.RepoURL) == freight.NormalizeGitURL(co.RepoURL) {
			return res.Commits
		}
	}
	return nil
}

// commitsBetween finds from and to in list (newest first) and returns the
// commits after from up to to; known says both were found. With from
// missing (older than the list reaches, or empty) it returns the commits
// from to down to the end of the list, known false.
func commitsBetween(list []railyard.DiscoveredCommit, from, to string) (commits []railyard.DiscoveredCommit, back, known bool) {
	iFrom, iTo := -1, -1
	for i, c := range list {
		if c.ID == from && iFrom < 0 {
			iFrom = i
		}
		if c.ID == to && iTo < 0 {
			iTo = i
		}
	}
	switch {
	case iTo < 0:
		return nil, false, false
	case iFrom < 0:
		return list[iTo:], false, false
	case iTo < iFrom:
		return list[iTo:iFrom], false, true
	default:
		return list[iFrom:iTo], true, true
	}
}
