package steps

// helm-update-chart and helm-template (buildDependencies) fetch a chart's
// dependencies with helm's own machinery, `helm dependency update|build`,
// run through the guard. The project's Helm credentials reach helm through
// the repositories.yaml and registry config.json of the guard's helm home
// (inside the work directory, removed when the step ends), never through
// the command line or a message.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/railyard-dev/railyard/internal/git/redact"
	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/workdir"
)

const credTypeHelm = "helm"

// chartDep is a dependency as Chart.yaml and Chart.lock list it.
type chartDep struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	Repository string `json:"repository"`
}

// parseChartDeps reads the dependencies of a Chart.yaml or Chart.lock.
func parseChartDeps(b []byte) ([]chartDep, error) {
	var meta struct {
		Dependencies any `json:"dependencies"`
	}
	if err := yaml.Unmarshal(b, &meta); err != nil {
		return nil, err
	}
	if meta.Dependencies == nil {
		return nil, nil
	}
	list, ok := meta.Dependencies.([]any)
	if !ok {
		return nil, errors.New(`"dependencies" is not a list`)
	}
	deps := make([]chartDep, len(list))
	for i, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("dependencies[%d] is not a map", i)
		}
		for _, f := range []struct {
			key string
			to  *string
		}{{"name", &deps[i].Name}, {"version", &deps[i].Version}, {"repository", &deps[i].Repository}} {
			switch v := m[f.key].(type) {
			case nil:
			case string:
				*f.to = v
			default:
				return nil, fmt.Errorf("dependencies[%d].%s is not a string", i, f.key)
			}
		}
	}
	return deps, nil
}

// helmDeps runs `helm dependency` for one chart with the project's Helm
// credentials.
type helmDeps struct {
	root  *workdir.Root
	guard *helmGuard
	chart string // relative to root
	// secrets are redacted from every message.
	secrets []string
	// repositories of the dependencies, whose userinfo is redacted too.
	repositories []string
	// plainHTTP: every OCI registry of the chart speaks plain HTTP (helm
	// applies one scheme to all of them, as in Kargo).
	plainHTTP bool
}

// repoEntry is an entry of helm's repositories.yaml.
type repoEntry struct {
	Name     string `json:"name"`
	URL      string `json:"url"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
}

// newHelmDeps writes the repository and registry configuration for deps
// into the guard's helm home.
func newHelmDeps(ctx context.Context, sc *promotion.StepContext, root *workdir.Root, guard *helmGuard, chart string, deps []chartDep) (*helmDeps, error) {
	h := &helmDeps{root: root, guard: guard, chart: chart}
	repos := []repoEntry{}
	auths := map[string]map[string]string{}
	ociHosts := map[string]bool{}
	for _, d := range deps {
		repoURL := d.Repository
		h.repositories = append(h.repositories, repoURL)
		switch {
		case strings.HasPrefix(repoURL, "https://"), strings.HasPrefix(repoURL, "http://"):
			if slices.ContainsFunc(repos, func(e repoEntry) bool { return e.URL == repoURL }) {
				continue
			}
			e := repoEntry{Name: fmt.Sprintf("railyard-%d", len(repos)), URL: repoURL}
			// As in Kargo, credentials only travel over TLS.
			if strings.HasPrefix(repoURL, "https://") {
				c, err := h.credentials(ctx, sc, repoURL)
				if err != nil {
					return nil, err
				}
				if c != nil {
					e.Username, e.Password = c.Username, c.Password
				}
			}
			repos = append(repos, e)
		case strings.HasPrefix(repoURL, "oci://"):
			host, _, _ := strings.Cut(strings.TrimPrefix(repoURL, "oci://"), "/")
			if host == "" {
				return nil, promotion.Terminalf("dependency %q: repository %q names no registry", d.Name, repoURL)
			}
			if _, seen := ociHosts[host]; !seen {
				ociHosts[host] = ociPlainHTTP(ctx, host)
			}
			if _, done := auths[host]; done {
				continue
			}
			c, err := h.credentials(ctx, sc, strings.TrimSuffix(repoURL, "/")+"/"+d.Name)
			if err != nil {
				return nil, err
			}
			if c != nil {
				auth := base64.StdEncoding.EncodeToString([]byte(c.Username + ":" + c.Password))
				h.secrets = append(h.secrets, auth)
				auths[host] = map[string]string{"auth": auth}
			}
		}
	}
	h.plainHTTP = len(ociHosts) > 0
	for _, plain := range ociHosts {
		h.plainHTTP = h.plainHTTP && plain
	}
	return h, h.writeConfig(repos, auths)
}

// credentials looks up the project's Helm credentials for repoURL.
func (h *helmDeps) credentials(ctx context.Context, sc *promotion.StepContext, repoURL string) (*promotion.Credentials, error) {
	if sc.Credentials == nil {
		return nil, nil
	}
	c, err := sc.Credentials.Get(ctx, sc.Project, credTypeHelm, repoURL)
	if err != nil {
		return nil, fmt.Errorf("looking up Helm credentials for %s: %w", repoURL, err)
	}
	if c == nil || c.Username == "" && c.Password == "" {
		return nil, nil
	}
	if c.Password != "" {
		h.secrets = append(h.secrets, c.Password)
	}
	return c, nil
}

// writeConfig writes the files HELM_REPOSITORY_CONFIG and
// HELM_REGISTRY_CONFIG name (see helmEnv), readable by the owner only.
func (h *helmDeps) writeConfig(repos []repoEntry, auths map[string]map[string]string) error {
	home, err := h.root.Rel(h.guard.home)
	if err != nil {
		return err
	}
	config := filepath.Join(home, "config")
	if err := h.root.MkdirAll(filepath.Join(config, "registry"), 0o700); err != nil {
		return fmt.Errorf("creating helm configuration: %w", err)
	}
	b, err := yaml.Marshal(map[string]any{"apiVersion": "", "repositories": repos})
	if err == nil {
		err = h.root.WriteFile(filepath.Join(config, "repositories.yaml"), b, 0o600)
	}
	if err == nil && len(auths) > 0 {
		if b, err = json.Marshal(map[string]any{"auths": auths}); err == nil {
			err = h.root.WriteFile(filepath.Join(config, "registry", "config.json"), b, 0o600)
		}
	}
	if err != nil {
		return fmt.Errorf("writing helm configuration: %w", err)
	}
	return nil
}

// run runs `helm dependency <verb>` on the chart, then checks the archives
// helm left in its charts/ directory. A repository that refuses access or
// lacks the chart ends in a terminal error.
func (h *helmDeps) run(ctx context.Context, verb string) error {
	args := []string{"dependency", verb, filepath.Join(h.root.Dir(), h.chart)}
	if h.plainHTTP {
		args = append(args, "--plain-http")
	}
	stdout, err := runHelmOutput(ctx, h.guard, h.root.Dir(), args...)
	if archErr := checkDependencyArchives(h.root, h.chart); archErr != nil {
		return archErr
	}
	if err == nil {
		return nil
	}
	var he *helmError
	if !errors.As(err, &he) {
		return err // the guard's refusal
	}
	redacted := *he
	redacted.msg = strings.TrimPrefix(redacted.msg, "Error: ")
	if unread := unreadRepositories(stdout); unread != "" {
		redacted.msg = unread
	}
	redacted.msg = redact.In(redacted.msg, h.repositories...)
	for _, s := range h.secrets {
		redacted.msg = strings.ReplaceAll(redacted.msg, s, "[redacted]")
	}
	if redacted.exited() && permanentDepsFailure(redacted.msg) {
		return promotion.Terminal(&redacted)
	}
	return &redacted
}

// permanentDepsFailure tells, from helm's message, failures no retry fixes:
// refused credentials, a missing repository, chart or version, a bad chart.
func permanentDepsFailure(msg string) bool {
	msg = strings.ToLower(msg)
	for _, s := range []string{
		"401", "403", "404", "unauthorized", "forbidden", "not found", "no chart version",
		"can't get a valid version", "no repository definition", "chart.yaml", "chart.lock",
		"invalid", "unmarshal", "yaml:", "not in chart",
	} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// buildDependencies runs `helm dependency build` on the chart at path (which
// resolves Chart.yaml when there is no Chart.lock); a chart without
// dependencies is left alone.
func buildDependencies(ctx context.Context, sc *promotion.StepContext, root *workdir.Root, guard *helmGuard, path string) error {
	b, err := root.ReadFile(filepath.Join(path, "Chart.yaml"))
	if err != nil {
		return nil // helm template reports a missing chart
	}
	deps, err := parseChartDeps(b)
	if err != nil {
		return promotion.Terminal(fmt.Errorf("parsing Chart.yaml in %q: %w", path, err))
	}
	if len(deps) == 0 {
		return nil
	}
	d, err := newHelmDeps(ctx, sc, root, guard, path, deps)
	if err != nil {
		return err
	}
	// Without a Chart.lock helm resolves Chart.yaml and writes one, which
	// a failed build must not leave behind.
	lock := filepath.Join(path, "Chart.lock")
	_, statErr := root.Lstat(lock)
	err = d.run(ctx, "build")
	if err != nil && errors.Is(statErr, fs.ErrNotExist) {
		_ = root.RemoveAll(lock)
	}
	return err
}

// unreadRepositories is what `helm dependency update|build` printed about
// the repositories it could not read ("repository <url>: <cause>"), or "".
// helm only warns about them, then fails with "no cached repository".
func unreadRepositories(stdout []byte) string {
	const marker = "Unable to get an update from the "
	lines := strings.Split(string(stdout), "\n")
	var out []string
	for i, l := range lines {
		_, rest, ok := strings.Cut(l, marker)
		if !ok {
			continue
		}
		repo := rest
		if open, end := strings.Index(rest, "("), strings.LastIndex(rest, ")"); open >= 0 && end > open {
			repo = rest[open+1 : end]
		}
		cause := "unreadable"
		if i+1 < len(lines) && strings.TrimSpace(lines[i+1]) != "" {
			cause = strings.TrimSpace(lines[i+1])
		}
		out = append(out, fmt.Sprintf("repository %s: %s", repo, cause))
	}
	return strings.Join(out, "; ")
}
