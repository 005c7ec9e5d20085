package gitsteps

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/railyard-dev/railyard/internal/git"
)

// providers are the values of git-push's provider field, as in Kargo.
var providers = []string{"azure", "bitbucket", "gitea", "github", "gitlab"}

// inferProvider guesses the provider from the host as Kargo does: a host
// naming github (or *.ghe.com), gitlab or gitea, bitbucket.org, Azure
// DevOps. "" when nothing matches.
func inferProvider(host string) string {
	switch {
	case strings.Contains(host, "github") || strings.HasSuffix(host, ".ghe.com"):
		return "github"
	case strings.Contains(host, "gitlab"):
		return "gitlab"
	case strings.Contains(host, "gitea"):
		return "gitea"
	case host == "bitbucket.org":
		return "bitbucket"
	case host == "dev.azure.com" || strings.HasSuffix(host, ".visualstudio.com"):
		return "azure"
	}
	return ""
}

// commitURL is the web page of commit sha in repoURL, as Kargo's providers
// build it from the URL alone (no API call), or "" when the provider is
// neither given nor inferable. The URL is lower-cased and loses its user,
// a trailing ".git" and, for SSH, the port, as Kargo's normalization does.
func commitURL(repoURL, provider, sha string) string {
	u, err := url.Parse(strings.ToLower(git.NormalizeURL(repoURL)))
	if err != nil || u.Host == "" || sha == "" {
		return ""
	}
	host := u.Host
	if u.Scheme != "http" && u.Scheme != "https" {
		host = u.Hostname()
	}
	p := strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), ".git")
	if provider == "" {
		provider = inferProvider(u.Hostname())
	}
	switch provider {
	case "github":
		parts := strings.Split(strings.Trim(p, "/"), "/")
		if len(parts) != 2 {
			return ""
		}
		return fmt.Sprintf("https://%s/%s/%s/commit/%s", host, parts[0], parts[1], sha)
	case "gitlab":
		return fmt.Sprintf("https://%s%s/-/commit/%s", host, p, sha)
	case "gitea":
		return fmt.Sprintf("https://%s%s/commit/%s", host, p, sha)
	case "bitbucket":
		return fmt.Sprintf("https://%s%s/commits/%s", host, p, sha)
	case "azure":
		return fmt.Sprintf("https://dev.azure.com%s/commit/%s", strings.TrimPrefix(p, "/v3"), sha)
	}
	return ""
}
