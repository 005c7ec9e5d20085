package ecr

import (
	"regexp"
	"strings"
)

// Private ECR registry hosts. Standard endpoints are
// <account>.dkr.ecr[-fips].<region>.<suffix>; dual-stack endpoints are
// <account>.dkr-ecr[-fips].<region>.on.aws (or the China equivalent).
var (
	standardHost  = regexp.MustCompile(`^(\d{12})\.dkr\.ecr(-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d+)\.(?:amazonaws\.com(?:\.cn)?|c2s\.ic\.gov|sc2s\.sgov\.gov)$`)
	dualStackHost = regexp.MustCompile(`^(\d{12})\.dkr-ecr(-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d+)\.on\.(?:aws|amazonwebservices\.com\.cn)$`)
	// ECR repository names: lowercase path components separated by '/'.
	repoName = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)
)

// registry is a parsed private ECR repository URL.
type registry struct {
	host       string
	account    string
	region     string
	repository string // empty when only the registry host was given
	fips       bool
	dualStack  bool
}

// ParseRepoURL reports whether repoURL names a private ECR registry or
// repository and, if so, returns its registry ID (the AWS account), region and
// repository name. A leading "oci://" or "https://" is ignored. A bare
// registry host is accepted with an empty repository. Tags, digests, ports,
// upper-case repository names and public.ecr.aws are rejected.
func ParseRepoURL(repoURL string) (registryID, region, repository string, ok bool) {
	r, ok := parseRepoURL(repoURL)
	if !ok {
		return "", "", "", false
	}
	return r.account, r.region, r.repository, true
}

func parseRepoURL(repoURL string) (registry, bool) {
	s := strings.TrimSpace(repoURL)
	for _, p := range []string{"oci://", "https://"} {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			s = s[len(p):]
			break
		}
	}
	s = strings.TrimSuffix(s, "/")
	host, repo, _ := strings.Cut(s, "/")
	host = strings.ToLower(host)
	r := registry{host: host, repository: repo}
	if m := standardHost.FindStringSubmatch(host); m != nil {
		r.account, r.fips, r.region = m[1], m[2] != "", m[3]
	} else if m := dualStackHost.FindStringSubmatch(host); m != nil {
		r.account, r.fips, r.region, r.dualStack = m[1], m[2] != "", m[3], true
	} else {
		return registry{}, false
	}
	if repo != "" && !repoName.MatchString(repo) {
		return registry{}, false
	}
	return r, true
}
