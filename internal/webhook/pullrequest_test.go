package webhook

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
)

// Pull-request events shaped as each provider documents them (written for
// these tests): a merge or close wakes the Promotions waiting on the
// repository and refreshes no Warehouse; other actions are ignored.
func TestPullRequestEventsWakePromotions(t *testing.T) {
	github := func(action string) string {
		return fmt.Sprintf(`{"action":%q,"number":7,"pull_request":{"number":7,"state":"closed","merged":true,"merge_commit_sha":"4f1c0de"},
			"repository":{"full_name":"acme/deploy-config","clone_url":"https://github.com/acme/deploy-config.git","ssh_url":"git@github.com:acme/deploy-config.git","html_url":"https://github.com/acme/deploy-config"}}`, action)
	}
	gitea := `{"action":"closed","number":3,"pull_request":{"number":3,"merged":true},
		"repository":{"clone_url":"https://gitea.acme.example/platform/deploy-config.git","ssh_url":"git@gitea.acme.example:platform/deploy-config.git","html_url":"https://gitea.acme.example/platform/deploy-config"}}`
	gitlab := func(action string) string {
		return fmt.Sprintf(`{"object_kind":"merge_request","event_type":"merge_request","object_attributes":{"iid":12,"action":%q,"state":"merged"},
			"project":{"git_http_url":"https://gitlab.acme.example/platform/deploy-config.git","git_ssh_url":"git@gitlab.acme.example:platform/deploy-config.git","web_url":"https://gitlab.acme.example/platform/deploy-config"}}`, action)
	}
	bitbucket := `{"pullrequest":{"id":5,"state":"MERGED"},"repository":{"full_name":"acme/deploy-config","links":{"html":{"href":"https://bitbucket.org/acme/deploy-config"}}}}`
	azure := func(eventType, status string) string {
		return fmt.Sprintf(`{"eventType":%q,"resource":{"pullRequestId":9,"status":%q,
			"repository":{"remoteUrl":"https://dev.azure.com/acme/Platform/_git/deploy-config","webUrl":"https://dev.azure.com/acme/Platform/_git/deploy-config"}}}`, eventType, status)
	}
	cases := []struct {
		provider, event, body, ua string
		wantURL                   string // "" = ignored
	}{
		{"github", "pull_request", github("closed"), "", "https://github.com/acme/deploy-config"},
		{"github", "pull_request", github("opened"), "", ""},
		{"gitea", "pull_request", gitea, "", "https://gitea.acme.example/platform/deploy-config"},
		{"gitlab", "Merge Request Hook", gitlab("merge"), "", "https://gitlab.acme.example/platform/deploy-config"},
		{"gitlab", "Merge Request Hook", gitlab("close"), "", "https://gitlab.acme.example/platform/deploy-config"},
		{"gitlab", "Merge Request Hook", gitlab("update"), "", ""},
		{"bitbucket", "pullrequest:fulfilled", bitbucket, "", "https://bitbucket.org/acme/deploy-config"},
		{"bitbucket", "pullrequest:created", bitbucket, "", ""},
		{"azure", "", azure("git.pullrequest.merged", "active"), "VSServices/19.0", "https://dev.azure.com/acme/platform/_git/deploy-config"},
		{"azure", "", azure("git.pullrequest.updated", "completed"), "VSServices/19.0", "https://dev.azure.com/acme/platform/_git/deploy-config"},
		{"azure", "", azure("git.pullrequest.updated", "active"), "VSServices/19.0", ""},
	}
	for _, c := range cases {
		t.Run(c.provider+"/"+c.event+"/"+c.wantURL, func(t *testing.T) {
			f := newFixture(t)
			code, r := f.post(t, c.provider, c.event, []byte(c.body), testSecret, "User-Agent", c.ua)
			if code != http.StatusOK {
				t.Fatalf("status %d (%s)", code, r.Message)
			}
			if len(f.refreshed) != 0 {
				t.Errorf("a pull-request event refreshed Warehouses %v", f.refreshed)
			}
			if c.wantURL == "" {
				if len(f.woken) != 0 || r.Message != "event ignored" {
					t.Fatalf("woke %v (%q), want the event ignored", f.woken, r.Message)
				}
				return
			}
			if len(f.woken) != 1 || !slices.Contains(f.woken[0], NormalizeGitURL(c.wantURL)) {
				t.Fatalf("woken for %v, want the repository %s among them", f.woken, NormalizeGitURL(c.wantURL))
			}
			if len(r.Promotions) != 1 || r.Promotions[0].Name != "prod-1" {
				t.Errorf("reply names %+v, want the woken Promotion", r.Promotions)
			}
		})
	}
}
