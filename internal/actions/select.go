package actions

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

// Wanted is one requested artifact: how the person named it (Flag, such as
// "--image", and Raw, as typed), its normalised repository and version.
// Used is set when a subscription of the Warehouse took it.
type Wanted struct {
	Flag, Raw, Repo, Version string
	Used                     bool
}

// Selection is what "create freight" asks for, per kind of subscription;
// subscriptions not named take their newest discovered artifact.
type Selection struct {
	Images, Charts, Commits []*Wanted
}

// pick returns the request naming repo, if any.
func pick(ws []*Wanted, repo string) *Wanted {
	for _, w := range ws {
		if w.Repo == repo {
			w.Used = true
			return w
		}
	}
	return nil
}

// ChartPath joins a chart repository and chart name the way people write
// them ("https://charts.example.com/titiler"); path.Join would collapse the
// scheme's "//".
func ChartPath(repo, name string) string {
	if name == "" {
		return repo
	}
	return strings.TrimSuffix(repo, "/") + "/" + name
}

// SelectArtifacts builds Freight from the Warehouse's discovered artifacts:
// the versions sel names, and the newest of every other subscription.
func SelectArtifacts(wh *railyard.Warehouse, sel Selection) (*railyard.Freight, error) {
	da := wh.Status.DiscoveredArtifacts
	hint := fmt.Sprintf("run 'railyard refresh warehouse %s --wait' and check 'railyard get artifacts %s'", wh.Name, wh.Name)
	if da == nil {
		return nil, fmt.Errorf("warehouse/%s has %w anything yet: %s", wh.Name, ErrNotDiscovered, hint)
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
		ref, err := pickImage(res, pick(sel.Images, freight.NormalizeImageURL(res.RepoURL)), hint)
		if err != nil {
			return nil, err
		}
		f.Images = append(f.Images, railyard.Image{
			RepoURL: res.RepoURL, Tag: ref.Tag, Digest: ref.Digest,
			Annotations: ref.Annotations, SubscriptionName: res.SubscriptionName,
		})
	}
	for _, res := range da.Charts {
		full := ChartPath(freight.NormalizeChartURL(res.RepoURL), res.Name)
		subs = append(subs, "chart "+ChartPath(res.RepoURL, res.Name))
		v, err := pickChart(res, pick(sel.Charts, full), hint)
		if err != nil {
			return nil, err
		}
		f.Charts = append(f.Charts, railyard.Chart{
			RepoURL: res.RepoURL, Name: res.Name, Version: v, SubscriptionName: res.SubscriptionName,
		})
	}
	for _, res := range da.Git {
		subs = append(subs, "git "+res.RepoURL)
		co, err := pickCommit(res, pick(sel.Commits, freight.NormalizeGitURL(res.RepoURL)), hint)
		if err != nil {
			return nil, err
		}
		f.Commits = append(f.Commits, railyard.GitCommit{
			RepoURL: res.RepoURL, ID: co.ID, Branch: co.Branch, Tag: co.Tag, Message: co.Subject,
			Author: co.Author, Committer: co.Committer, SubscriptionName: res.SubscriptionName,
		})
	}
	for _, ws := range [][]*Wanted{sel.Images, sel.Charts, sel.Commits} {
		for _, w := range ws {
			if !w.Used {
				return nil, fmt.Errorf("%s %s: the repository is not a subscription of warehouse/%s with discovered artifacts (it has: %s); %s",
					w.Flag, w.Raw, wh.Name, strings.Join(subs, ", "), hint)
			}
		}
	}
	if len(f.Images)+len(f.Charts)+len(f.Commits) == 0 {
		return nil, fmt.Errorf("warehouse/%s has %w any artifact: %s", wh.Name, ErrNotDiscovered, hint)
	}
	return f, nil
}

func pickImage(res railyard.ImageDiscoveryResult, w *Wanted, hint string) (railyard.DiscoveredImageReference, error) {
	if len(res.References) == 0 {
		return railyard.DiscoveredImageReference{}, fmt.Errorf("image %s: no tag %w: %s", res.RepoURL, ErrNotDiscovered, hint)
	}
	if w == nil {
		return res.References[0], nil
	}
	var seen []string
	for _, ref := range res.References {
		if ref.Tag == w.Version {
			return ref, nil
		}
		seen = append(seen, ref.Tag)
	}
	return railyard.DiscoveredImageReference{}, fmt.Errorf("%s %s: tag %q %w (discovered: %s); %s", w.Flag, w.Raw, w.Version, ErrNotDiscovered, strings.Join(seen, ", "), hint)
}

func pickChart(res railyard.ChartDiscoveryResult, w *Wanted, hint string) (string, error) {
	if len(res.Versions) == 0 {
		return "", fmt.Errorf("chart %s: no version %w: %s", ChartPath(res.RepoURL, res.Name), ErrNotDiscovered, hint)
	}
	if w == nil {
		return res.Versions[0], nil
	}
	for _, v := range res.Versions {
		if v == w.Version {
			return v, nil
		}
	}
	return "", fmt.Errorf("%s %s: version %q %w (discovered: %s); %s", w.Flag, w.Raw, w.Version, ErrNotDiscovered, strings.Join(res.Versions, ", "), hint)
}

func pickCommit(res railyard.GitDiscoveryResult, w *Wanted, hint string) (railyard.DiscoveredCommit, error) {
	if len(res.Commits) == 0 {
		return railyard.DiscoveredCommit{}, fmt.Errorf("git %s: no commit %w: %s", res.RepoURL, ErrNotDiscovered, hint)
	}
	if w == nil {
		return res.Commits[0], nil
	}
	var found []railyard.DiscoveredCommit
	var seen []string
	for _, co := range res.Commits {
		if strings.HasPrefix(strings.ToLower(co.ID), w.Version) {
			found = append(found, co)
		}
		seen = append(seen, short(co.ID, 7))
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return railyard.DiscoveredCommit{}, fmt.Errorf("%s %s: commit %w (discovered: %s); %s", w.Flag, w.Raw, ErrNotDiscovered, strings.Join(seen, ", "), hint)
	}
	return railyard.DiscoveredCommit{}, fmt.Errorf("%s %s: %d discovered commits start with %s; give more of the hash", w.Flag, w.Raw, len(found), w.Version)
}

// short returns the first n characters of s (a hash or a name).
func short(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
