package webhook

import (
	"errors"
	"net/http/httptest"
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		provider, event, file string
		ua                    string // User-Agent, which tells Azure's services apart
		want                  Event
		wantErr               error
	}{
		{
			provider: "github", event: "push", file: "github/push.json",
			want: Event{Type: "push", Refs: []string{"refs/heads/main"}, ChangedFiles: []string{"apps/api/values.yaml"}, GitURLs: []string{
				"https://github.com/acme/deploy-config",
				"ssh://github.com/acme/deploy-config",
				"git://github.com/acme/deploy-config",
			}},
		},
		{provider: "github", event: "ping", file: "github/ping.json", want: Event{Type: "ping", Ping: true}},
		{
			provider: "github", event: "package", file: "github/package.json",
			want: Event{Type: "package", ImageRepos: []string{"ghcr.io/acme/api"}, Refs: []string{"1.4.2"}},
		},
		{
			provider: "github", event: "registry_package", file: "github/registry_package_helm.json",
			want: Event{Type: "registry_package", ChartRepos: []string{"ghcr.io/acme/charts/api"}, Refs: []string{"0.7.0"}},
		},
		{provider: "github", event: "issues", file: "github/ping.json", want: Event{Type: "issues", Ignored: true}},
		{provider: "github", event: "push", file: "quay/repo_push.json", wantErr: ErrBadPayload},
		{
			provider: "gitlab", event: "Push Hook", file: "gitlab/push.json",
			want: Event{Type: "Push Hook", Refs: []string{"refs/heads/main"}, ChangedFiles: []string{"apps/api/values.yaml"}, GitURLs: []string{
				"https://gitlab.acme.example/platform/deploy-config",
				"ssh://gitlab.acme.example/platform/deploy-config",
			}},
		},
		{
			provider: "gitlab", event: "Tag Push Hook", file: "gitlab/tag_push.json",
			want: Event{Type: "Tag Push Hook", Refs: []string{"refs/tags/v1.4.2"}, GitURLs: []string{
				"https://gitlab.acme.example/platform/deploy-config",
				"ssh://gitlab.acme.example/platform/deploy-config",
			}},
		},
		{provider: "gitlab", event: "Merge Request Hook", file: "gitlab/push.json", want: Event{Type: "Merge Request Hook", Ignored: true}},
		{
			provider: "gitea", event: "push", file: "gitea/push.json",
			want: Event{Type: "push", Refs: []string{"refs/heads/main"}, ChangedFiles: []string{"apps/api/values.yaml"}, GitURLs: []string{
				"https://gitea.acme.example/platform/deploy-config",
				"ssh://gitea.acme.example:2222/platform/deploy-config",
			}},
		},
		{
			provider: "bitbucket", event: "repo:push", file: "bitbucket/repo_push.json",
			want: Event{Type: "repo:push", Refs: []string{"refs/heads/main", "refs/tags/v1.4.2"}, GitURLs: []string{
				"https://bitbucket.org/acme/deploy-config",
				"ssh://bitbucket.org/acme/deploy-config",
			}},
		},
		{
			provider: "bitbucket", event: "repo:refs_changed", file: "bitbucket/refs_changed.json",
			want: Event{Type: "repo:refs_changed", Refs: []string{"refs/heads/main"}, GitURLs: []string{
				"ssh://bitbucket.acme.example:7999/plat/deploy-config",
				"https://bitbucket.acme.example/scm/plat/deploy-config",
			}},
		},
		{provider: "bitbucket", event: "diagnostics:ping", file: "bitbucket/ping.json", want: Event{Type: "diagnostics:ping", Ping: true}},
		{
			provider: "dockerhub", file: "dockerhub/push.json",
			want: Event{Type: "push", ImageRepos: []string{"docker.io/acme/api"}, Refs: []string{"1.4.2"}},
		},
		{provider: "dockerhub", file: "github/ping.json", wantErr: ErrBadPayload},
		{
			provider: "quay", file: "quay/repo_push.json",
			want: Event{
				Type: "repo_push", ImageRepos: []string{"quay.io/acme/api"}, ChartRepos: []string{"quay.io/acme/api"},
				Refs: []string{"1.4.2", "latest"},
			},
		},
		{
			provider: "harbor", file: "harbor/push_artifact.json",
			want: Event{
				Type: "PUSH_ARTIFACT", ImageRepos: []string{"harbor.acme.example/platform/api"},
				ChartRepos: []string{"harbor.acme.example/platform/api"}, Refs: []string{"1.4.2"},
			},
		},
		{provider: "harbor", file: "harbor/pull_artifact.json", want: Event{Type: "PULL_ARTIFACT", Ignored: true}},
		{
			provider: "azure", file: "azure/acr_push.json", ua: "AzureContainerRegistry/1.0",
			want: Event{Type: "push", ImageRepos: []string{"acmeregistry.azurecr.io/platform/api"}, Refs: []string{"1.4.2"}},
		},
		{provider: "azure", file: "azure/acr_ping.json", ua: "AzureContainerRegistry/1.0", want: Event{Type: "ping", Ping: true}},
		{
			provider: "azure", file: "azure/devops_push.json", ua: "VSServices/16.255.0.0",
			want: Event{Type: "git.push", Refs: []string{"refs/heads/main"}, GitURLs: []string{
				"https://dev.azure.com/acme/platform/_git/deploy-config",
				"ssh://ssh.dev.azure.com/v3/acme/platform/deploy-config",
			}},
		},
		{provider: "azure", file: "azure/acr_push.json", ua: "curl/8.5.0", wantErr: ErrBadPayload},
		{
			provider: "artifactory", file: "artifactory/docker_pushed.json",
			want: Event{Type: "docker/pushed", ImageRepos: []string{"acme.jfrog.io/docker-local/platform/api"}, Refs: []string{"1.4.2"}},
		},
		{
			provider: "artifactory", file: "artifactory/oci_chart_pushed.json",
			want: Event{Type: "docker/pushed", ChartRepos: []string{"acme.jfrog.io/helm-oci/charts/api"}, Refs: []string{"0.7.0"}},
		},
		{provider: "artifactory", file: "quay/repo_push.json", want: Event{Type: "/", Ignored: true}},
		{
			provider: "ecr", file: "ecr/push.json",
			want: Event{
				Type:       "ECR Image Action/PUSH/SUCCESS",
				ImageRepos: []string{"123456789012.dkr.ecr.us-west-2.amazonaws.com/platform/api"},
				ChartRepos: []string{"123456789012.dkr.ecr.us-west-2.amazonaws.com/platform/api"},
				Refs:       []string{"1.4.2"},
			},
		},
		{provider: "ecr", file: "ecr/delete.json", want: Event{Type: "ECR Image Action/DELETE/SUCCESS", Ignored: true}},
		{provider: "ecr", file: "ecr/push_failed.json", want: Event{Type: "ECR Image Action/PUSH/FAILURE", Ignored: true}},
		{provider: "ecr", file: "ecr/scan.json", want: Event{Type: "ECR Image Scan", Ignored: true}},
		{provider: "ecr", file: "github/push.json", want: Event{Ignored: true}},
		{provider: "ecr", file: "ecr/truncated.json", wantErr: ErrBadPayload},
	}
	for _, c := range cases {
		t.Run(c.provider+"/"+c.file+"/"+c.event, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/x", nil)
			if h := eventHeader[c.provider]; h != "" {
				req.Header.Set(h, c.event)
			}
			req.Header.Set("User-Agent", c.ua)
			got, err := mustProvider(t, c.provider).Parse(req, readTestdata(t, c.file))
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("Parse() error = %v, want %v", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(): %v", err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("Parse() =\n%+v\nwant\n%+v", got, c.want)
			}
		})
	}
}

func TestParseDeletionsIgnored(t *testing.T) {
	cases := []struct{ provider, event, body string }{
		{"github", "push", `{"ref":"refs/heads/old","deleted":true,"repository":{"clone_url":"https://github.com/acme/x.git"}}`},
		{"gitlab", "Push Hook", `{"ref":"refs/heads/old","after":"0000000000000000000000000000000000000000","project":{"git_http_url":"https://gitlab.com/acme/x.git"}}`},
		{"gitea", "push", `{"ref":"refs/heads/old","after":"0000000000000000000000000000000000000000","repository":{"clone_url":"https://gitea.com/acme/x.git"}}`},
		{"bitbucket", "repo:push", `{"push":{"changes":[{"new":null}]},"repository":{"full_name":"acme/x","links":{"html":{"href":"https://bitbucket.org/acme/x"}}}}`},
		{"github", "package", `{"action":"deleted","package":{"package_type":"CONTAINER"}}`},
		{"github", "package", `{"action":"published","package":{"package_type":"npm","package_version":{"package_url":"npm.pkg.github.com/acme/x"}}}`},
	}
	for _, c := range cases {
		t.Run(c.provider+"/"+c.event, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/x", nil)
			req.Header.Set(eventHeader[c.provider], c.event)
			ev, err := mustProvider(t, c.provider).Parse(req, []byte(c.body))
			if err != nil || !ev.Ignored {
				t.Fatalf("Parse() = %+v, %v; want ignored", ev, err)
			}
		})
	}
}
