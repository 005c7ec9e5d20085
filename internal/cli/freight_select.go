package cli

import (
	"errors"
	"fmt"
	"strings"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
)

// ErrNotDiscovered is returned when a requested artifact is not among the
// Warehouse's discovered artifacts.
var ErrNotDiscovered = errors.New("not discovered")

// wanted is one --image, --chart or --commit flag: a normalised repository
// and a version, and whether some subscription used it.
type wanted struct {
	flag, raw, repo, version string
	used                     bool
}

func parseWanted(flag string, values []string, normalize func(string) string) ([]*wanted, error) {
	out := make([]*wanted, 0, len(values))
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
		out = append(out, &wanted{flag: flag, raw: v, repo: normalize(repo), version: version})
	}
	return out, nil
}

// pick returns the flag naming repo, if any.
func pick(ws []*wanted, repo string) *wanted {
	for _, w := range ws {
		if w.repo == repo {
			w.used = true
			return w
		}
	}
	return nil
}

// selectArtifacts builds Freight from the Warehouse's discovered artifacts:
// the versions the request names, and the newest of every other
// subscription.
func selectArtifacts(wh *railyard.Warehouse, req freightRequest) (*railyard.Freight, error) {
	da := wh.Status.DiscoveredArtifacts
	hint := fmt.Sprintf("run 'railyard refresh warehouse %s --wait' and check 'railyard get artifacts %s'", wh.Name, wh.Name)
	if da == nil {
		return nil, fmt.Errorf("warehouse/%s has %w anything yet: %s", wh.Name, ErrNotDiscovered, hint)
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
	f := &railyard.Freight{
		Origin: railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: wh.Name},
	}
	if !da.DiscoveredAt.IsZero() {
		f.DiscoveredAt = da.DiscoveredAt.DeepCopy()
	}
	var subs []string
	for _, res := range da.Images {
		subs = append(subs, "image "+res.RepoURL)
		ref, err := pickImage(res, pick(images, freight.NormalizeImageURL(res.RepoURL)), hint)
		if err != nil {
			return nil, err
		}
		f.Images = append(f.Images, railyard.Image{
			RepoURL: res.RepoURL, Tag: ref.Tag, Digest: ref.Digest,
			Annotations: ref.Annotations, SubscriptionName: res.SubscriptionName,
		})
	}
	for _, res := range da.Charts {
		full := chartPath(freight.NormalizeChartURL(res.RepoURL), res.Name)
		subs = append(subs, "chart "+chartPath(res.RepoURL, res.Name))
		v, err := pickChart(res, pick(charts, full), hint)
		if err != nil {
			return nil, err
		}
		f.Charts = append(f.Charts, railyard.Chart{
			RepoURL: res.RepoURL, Name: res.Name, Version: v, SubscriptionName: res.SubscriptionName,
		})
	}
	for _, res := range da.Git {
		subs = append(subs, "git "+res.RepoURL)
		co, err := pickCommit(res, pick(commits, freight.NormalizeGitURL(res.RepoURL)), hint)
		if err != nil {
			return nil, err
		}
		f.Commits = append(f.Commits, railyard.GitCommit{
			RepoURL: res.RepoURL, ID: co.ID, Branch: co.Branch, Tag: co.Tag, Message: co.Subject,
			Author: co.Author, Committer: co.Committer, SubscriptionName: res.SubscriptionName,
		})
	}
	for _, ws := range [][]*wanted{images, charts, commits} {
		for _, w := range ws {
			if !w.used {
				return nil, fmt.Errorf("%s %s: the repository is not a subscription of warehouse/%s with discovered artifacts (it has: %s); %s",
					w.flag, w.raw, wh.Name, strings.Join(subs, ", "), hint)
			}
		}
	}
	if len(f.Images)+len(f.Charts)+len(f.Commits) == 0 {
		return nil, fmt.Errorf("warehouse/%s has %w any artifact: %s", wh.Name, ErrNotDiscovered, hint)
	}
	return f, nil
}

func pickImage(res railyard.ImageDiscoveryResult, w *wanted, hint string) (railyard.DiscoveredImageReference, error) {
	if len(res.References) == 0 {
		return railyard.DiscoveredImageReference{}, fmt.Errorf("image %s: no tag %w: %s", res.RepoURL, ErrNotDiscovered, hint)
	}
	if w == nil {
		return res.References[0], nil
	}
	var seen []string
	for _, ref := range res.References {
		if ref.Tag == w.version {
			return ref, nil
		}
		seen = append(seen, ref.Tag)
	}
	return railyard.DiscoveredImageReference{}, fmt.Errorf("--image %s: tag %q %w (discovered: %s); %s", w.raw, w.version, ErrNotDiscovered, strings.Join(seen, ", "), hint)
}

func pickChart(res railyard.ChartDiscoveryResult, w *wanted, hint string) (string, error) {
	if len(res.Versions) == 0 {
		return "", fmt.Errorf("chart %s: no version %w: %s", chartPath(res.RepoURL, res.Name), ErrNotDiscovered, hint)
	}
	if w == nil {
		return res.Versions[0], nil
	}
	for _, v := range res.Versions {
		if v == w.version {
			return v, nil
		}
	}
	return "", fmt.Errorf("--chart %s: version %q %w (discovered: %s); %s", w.raw, w.version, ErrNotDiscovered, strings.Join(res.Versions, ", "), hint)
}

func pickCommit(res railyard.GitDiscoveryResult, w *wanted, hint string) (railyard.DiscoveredCommit, error) {
	if len(res.Commits) == 0 {
		return railyard.DiscoveredCommit{}, fmt.Errorf("git %s: no commit %w: %s", res.RepoURL, ErrNotDiscovered, hint)
	}
	if w == nil {
		return res.Commits[0], nil
	}
	var found []railyard.DiscoveredCommit
	var seen []string
	for _, co := range res.Commits {
		if strings.HasPrefix(strings.ToLower(co.ID), w.version) {
			found = append(found, co)
		}
		seen = append(seen, short(co.ID, 7))
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return railyard.DiscoveredCommit{}, fmt.Errorf("--commit %s: commit %w (discovered: %s); %s", w.raw, ErrNotDiscovered, strings.Join(seen, ", "), hint)
	}
	return railyard.DiscoveredCommit{}, fmt.Errorf("--commit %s: %d discovered commits start with %s; give more of the hash", w.raw, len(found), w.version)
}
