package cli

import (
	"fmt"
	"strings"

	"github.com/railyard-dev/railyard/internal/actions"
)

// splitVersion splits "REPO:VERSION" at the last colon after the last
// slash, so registry ports ("localhost:5000/app:v1") and URL schemes
// ("https://charts/x:1.0.0") stay in the repository part.
func splitVersion(flag, s string) (repo, version string, err error) {
	slash := strings.LastIndex(s, "/")
	colon := strings.LastIndex(s, ":")
	if colon <= slash || colon == len(s)-1 || colon == 0 {
		return "", "", usageError{fmt.Errorf("%s wants REPO:VERSION, got %q", flag, s)}
	}
	return s[:colon], s[colon+1:], nil
}

// splitCommit splits "REPO@SHA" at the last @, so SCP-style URLs
// ("git@github.com:org/repo") keep theirs.
func splitCommit(s string) (repo, sha string, err error) {
	at := strings.LastIndex(s, "@")
	if at <= 0 || at == len(s)-1 {
		return "", "", usageError{fmt.Errorf("--commit wants REPO@SHA, got %q", s)}
	}
	sha = strings.ToLower(s[at+1:])
	if len(sha) < 4 || strings.Trim(sha, "0123456789abcdef") != "" {
		return "", "", usageError{fmt.Errorf("--commit %q: %q is not a commit hash (at least 4 hex digits)", s, s[at+1:])}
	}
	return s[:at], sha, nil
}

// chartPath joins a chart repository and chart name the way people write
// them ("https://charts.example.com/titiler"); path.Join would collapse the
// scheme's "//".
func chartPath(repo, name string) string { return actions.ChartPath(repo, name) }
