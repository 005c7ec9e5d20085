package webhook

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// gitHub handles GitHub repository and organisation webhooks: push, and
// package/registry_package for GHCR. It signs with HMAC-SHA256 of the body
// in X-Hub-Signature-256, keyed by the Secret's "secret" (as Kargo).
type gitHub struct{}

func init() { register(gitHub{}) }

func (gitHub) Name() string      { return "github" }
func (gitHub) SecretKey() string { return "secret" }

func (g gitHub) Verify(req *http.Request, body []byte, secret map[string][]byte) error {
	key, err := secretValue(secret, g.SecretKey())
	if err != nil {
		return err
	}
	return verifyHMAC(req.Header.Get("X-Hub-Signature-256"), body, key)
}

type githubPayload struct {
	Action     string       `json:"action"`
	Ref        string       `json:"ref"`
	Deleted    bool         `json:"deleted"`
	Commits    []pushCommit `json:"commits"`
	HeadCommit *pushCommit  `json:"head_commit"`
	Repository struct {
		CloneURL string `json:"clone_url"`
		SSHURL   string `json:"ssh_url"`
		GitURL   string `json:"git_url"`
		HTMLURL  string `json:"html_url"`
	} `json:"repository"`
	Package         *githubPackage `json:"package"`
	RegistryPackage *githubPackage `json:"registry_package"`
}

type githubPackage struct {
	PackageType    string `json:"package_type"`
	PackageVersion *struct {
		PackageURL        string `json:"package_url"`
		ContainerMetadata struct {
			Tag struct {
				Name string `json:"name"`
			} `json:"tag"`
			Manifest struct {
				Config struct {
					MediaType string `json:"media_type"`
				} `json:"config"`
			} `json:"manifest"`
		} `json:"container_metadata"`
	} `json:"package_version"`
}

func (gitHub) Parse(req *http.Request, body []byte) (Event, error) {
	ev := Event{Type: req.Header.Get("X-GitHub-Event")}
	switch ev.Type {
	case "ping":
		ev.Ping = true
		return ev, nil
	case "push", "package", "registry_package":
	case "pull_request":
		return parseGitHubPullRequest(ev, body)
	default:
		ev.Ignored = true
		return ev, nil
	}
	var p githubPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return ev, fmt.Errorf("%w: %w", ErrBadPayload, err)
	}
	if ev.Type == "push" {
		if p.Deleted {
			ev.Ignored = true
			return ev, nil
		}
		r := p.Repository
		ev.GitURLs = normalizeAll(NormalizeGitURL, r.CloneURL, r.SSHURL, r.GitURL, r.HTMLURL)
		if len(ev.GitURLs) == 0 {
			return ev, fmt.Errorf("%w: push names no repository", ErrBadPayload)
		}
		ev.Refs = compact([]string{p.Ref})
		// GitHub lists at most 2048 commits; with more, the files are unknown.
		if len(p.Commits) < 2048 {
			commits := p.Commits
			if p.HeadCommit != nil {
				commits = append(commits, *p.HeadCommit)
			}
			ev.ChangedFiles = changedFiles(commits)
		}
		return ev, nil
	}
	pkg := p.Package
	if ev.Type == "registry_package" {
		pkg = p.RegistryPackage
	}
	if p.Action != "published" && p.Action != "updated" {
		ev.Ignored = true
		return ev, nil
	}
	if pkg == nil || pkg.PackageVersion == nil {
		return ev, fmt.Errorf("%w: %s event without package_version", ErrBadPayload, ev.Type)
	}
	if t := strings.ToLower(pkg.PackageType); t != "container" && t != "docker" {
		ev.Ignored = true // npm, maven, ...: nothing a Warehouse subscribes to
		return ev, nil
	}
	v := pkg.PackageVersion
	setRegistryArtifact(&ev, v.PackageURL, v.ContainerMetadata.Manifest.Config.MediaType)
	ev.Refs = compact([]string{v.ContainerMetadata.Tag.Name})
	return ev, nil
}

// setRegistryArtifact records a pushed OCI artifact as an image, a chart or,
// when the media type does not say, both (as Kargo does).
func setRegistryArtifact(ev *Event, ref, mediaType string) {
	repo := NormalizeImageRepo(ref)
	if repo == "" {
		return
	}
	switch {
	case strings.HasPrefix(mediaType, "application/vnd.cncf.helm"):
		ev.ChartRepos = append(ev.ChartRepos, repo)
	case imageMediaTypes[mediaType]:
		ev.ImageRepos = append(ev.ImageRepos, repo)
	default:
		ev.ImageRepos = append(ev.ImageRepos, repo)
		ev.ChartRepos = append(ev.ChartRepos, repo)
	}
}

// imageMediaTypes are manifest and config media types that, as Kargo
// judges, almost certainly mean a container image rather than a chart.
var imageMediaTypes = map[string]bool{
	"application/vnd.oci.image.index.v1+json":                   true,
	"application/vnd.oci.image.config.v1+json":                  true,
	"application/vnd.docker.distribution.manifest.list.v2+json": true,
	"application/vnd.docker.distribution.manifest.v2+json":      true,
	"application/vnd.docker.container.image.v1+json":            true,
}
