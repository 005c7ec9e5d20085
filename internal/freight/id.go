// Package freight holds the rules about Freight: content-addressed names,
// aliases (ChooseAlias decides a new Freight's), availability and
// collections. The few that look at other Freight (WithContent,
// ChooseAlias) take a client.Reader, so controllers and the CLI share them.
package freight

import (
	"crypto/sha1" //nolint:gosec // a content address, not a security boundary
	"encoding/hex"
	"path"
	"sort"
	"strings"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// ID returns the name of Freight with the given origin and artifacts: a hash
// of the origin and of every artifact's identity, so the same content always
// gets the same name and creating it twice is a no-op. An image counts by tag
// and digest (a moved tag is new Freight), a commit by id and tag, a chart by
// repository, name and version. Order does not matter.
func ID(origin railyard.FreightOrigin, commits []railyard.GitCommit, images []railyard.Image, charts []railyard.Chart) string {
	parts := make([]string, 0, len(commits)+len(images)+len(charts))
	for _, c := range commits {
		p := NormalizeGitURL(c.RepoURL) + ":"
		if c.Tag != "" {
			p += c.Tag + ":"
		}
		parts = append(parts, withSubscription(p+c.ID, c.SubscriptionName))
	}
	for _, i := range images {
		parts = append(parts, withSubscription(NormalizeImageURL(i.RepoURL)+":"+i.Tag+"@"+i.Digest, i.SubscriptionName))
	}
	for _, c := range charts {
		parts = append(parts, withSubscription(path.Join(NormalizeChartURL(c.RepoURL), c.Name)+":"+c.Version, c.SubscriptionName))
	}
	sort.Strings(parts)
	sum := sha1.Sum([]byte(origin.String() + ":" + strings.Join(parts, "|"))) //nolint:gosec // see import
	return hex.EncodeToString(sum[:])
}

// IDOf returns the content-addressed name of f.
func IDOf(f *railyard.Freight) string {
	return ID(f.Origin, f.Commits, f.Images, f.Charts)
}

func withSubscription(p, name string) string {
	if name == "" {
		return p
	}
	return p + ":" + name
}

// NormalizeGitURL makes equivalent git URLs compare equal: lower-case
// scheme and host, no trailing ".git" or slash, SCP-style "git@host:path"
// rewritten as ssh://.
func NormalizeGitURL(u string) string {
	u = strings.TrimSpace(u)
	if !strings.Contains(u, "://") {
		if at := strings.Index(u, "@"); at >= 0 {
			if colon := strings.Index(u[at:], ":"); colon > 0 {
				u = "ssh://" + u[:at+colon] + "/" + strings.TrimPrefix(u[at+colon+1:], "/")
			}
		}
	}
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		host, p, _ := strings.Cut(rest, "/")
		u = strings.ToLower(u[:i]) + "://" + strings.ToLower(host) + "/" + p
	}
	u = strings.TrimSuffix(strings.TrimSuffix(u, "/"), ".git")
	return strings.TrimSuffix(u, "/")
}

// NormalizeChartURL lower-cases a chart repository URL and drops a trailing
// slash.
func NormalizeChartURL(u string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(u)), "/")
}
