package expr

import (
	"context"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
)

// In a Warehouse's spec.freightCreationCriteria, Kargo's imageFrom,
// commitFrom and chartFrom answer from the artifacts just discovered (the
// newest of each subscription), not from Freight, and return discovery's
// types: an image carries its creation time, a commit its subject and
// creator date. WithDiscovered puts Railyard's functions in that mode.

type discoveredKey struct{}

type discovered struct {
	origin    railyard.FreightOrigin
	artifacts *railyard.DiscoveredArtifacts
}

// WithDiscovered returns ctx under which imageFrom, commitFrom and chartFrom
// look up the newest artifact of the Warehouse origin's discovery result, as
// in Kargo's freightCreationCriteria (pkg/expressions/function,
// DiscoveredArtifactsOperations).
func WithDiscovered(ctx context.Context, origin railyard.FreightOrigin, a *railyard.DiscoveredArtifacts) context.Context {
	return context.WithValue(ctx, discoveredKey{}, &discovered{origin: origin, artifacts: a})
}

func discoveredIn(ctx context.Context) *discovered {
	if ctx == nil {
		return nil
	}
	d, _ := ctx.Value(discoveredKey{}).(*discovered)
	return d
}

// DiscoveredImage is what imageFrom returns in freightCreationCriteria:
// Kargo's DiscoveredImageReference (Tag, Digest, Annotations, CreatedAt) and
// the RepoURL of the subscription, which Kargo's docs list and Railyard
// returned before.
type DiscoveredImage struct {
	RepoURL     string            `json:"repoURL"`
	Tag         string            `json:"tag"`
	Digest      string            `json:"digest"`
	Annotations map[string]string `json:"annotations,omitempty"`
	// CreatedAt is when the image was built, if the registry says.
	CreatedAt *metav1.Time `json:"createdAt,omitempty"`
}

// DiscoveredCommit is what commitFrom returns in freightCreationCriteria:
// Kargo's DiscoveredCommit (ID, Branch, Tag, Subject, Author, Committer,
// CreatorDate), with the RepoURL and Message (the subject again) that the
// Freight's GitCommit has, so expressions written for either work.
type DiscoveredCommit struct {
	RepoURL     string       `json:"repoURL"`
	ID          string       `json:"id,omitempty"`
	Branch      string       `json:"branch,omitempty"`
	Tag         string       `json:"tag,omitempty"`
	Subject     string       `json:"subject,omitempty"`
	Message     string       `json:"message,omitempty"`
	Author      string       `json:"author,omitempty"`
	Committer   string       `json:"committer,omitempty"`
	CreatorDate *metav1.Time `json:"creatorDate,omitempty"`
}

// wrongOrigin reports an origin argument naming another Warehouse: Kargo
// takes none in criteria; Railyard accepts this Warehouse's own.
func (d *discovered) wrongOrigin(origin *railyard.FreightOrigin) bool {
	return origin != nil && origin.String() != d.origin.String()
}

// image returns the newest reference of the first image subscription whose
// repository matches, as Kargo does (first match, no ambiguity error).
func (d *discovered) image(repoURL string, origin *railyard.FreightOrigin) any {
	if d.artifacts == nil || d.wrongOrigin(origin) {
		return nil
	}
	for _, res := range d.artifacts.Images {
		if !sameImage(res.RepoURL, repoURL) || len(res.References) == 0 {
			continue
		}
		ref := res.References[0]
		return &DiscoveredImage{RepoURL: res.RepoURL, Tag: ref.Tag, Digest: ref.Digest,
			Annotations: ref.Annotations, CreatedAt: ref.CreatedAt}
	}
	return nil
}

func (d *discovered) commit(repoURL string, origin *railyard.FreightOrigin) any {
	if d.artifacts == nil || d.wrongOrigin(origin) {
		return nil
	}
	for _, res := range d.artifacts.Git {
		if !sameGitRepo(res.RepoURL, repoURL) || len(res.Commits) == 0 {
			continue
		}
		c := res.Commits[0]
		return &DiscoveredCommit{RepoURL: res.RepoURL, ID: c.ID, Branch: c.Branch, Tag: c.Tag,
			Subject: c.Subject, Message: c.Subject, Author: c.Author, Committer: c.Committer, CreatorDate: c.CreatorDate}
	}
	return nil
}

// chart returns the newest version of the first matching chart. Like
// Kargo, its RepoURL is the normalised argument ("oci://" dropped).
func (d *discovered) chart(repoURL, name string, origin *railyard.FreightOrigin) any {
	if d.artifacts == nil || d.wrongOrigin(origin) {
		return nil
	}
	for _, res := range d.artifacts.Charts {
		if !sameChartRepo(res.RepoURL, repoURL) || (name != "" && res.Name != name) || len(res.Versions) == 0 {
			continue
		}
		return &railyard.Chart{RepoURL: chartKey(repoURL), Name: res.Name, Version: res.Versions[0]}
	}
	return nil
}

// sameImage compares image repositories as Kargo's NormalizeImage does
// ("nginx" is "docker.io/library/nginx"); Railyard also ignores a trailing
// slash or ".git", as it did before.
func sameImage(a, b string) bool {
	return freight.NormalizeImageURL(a) == freight.NormalizeImageURL(b) || sameRepo(a, b)
}

// sameGitRepo also accepts SCP-style and ssh:// spellings of one repository.
func sameGitRepo(a, b string) bool {
	return sameRepo(a, b) || freight.NormalizeGitURL(a) == freight.NormalizeGitURL(b)
}

func sameChartRepo(a, b string) bool {
	return chartKey(a) == chartKey(b) || sameRepo(a, b)
}

// chartKey is Kargo's NormalizeChart: lower-cased, without "oci://", then
// normalised as an image repository.
func chartKey(u string) string {
	return freight.NormalizeImageURL(strings.TrimPrefix(strings.ToLower(strings.TrimSpace(u)), "oci://"))
}
