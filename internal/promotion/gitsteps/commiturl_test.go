package gitsteps

import (
	"testing"

	"github.com/railyard-dev/railyard/internal/git/gittest"
)

func TestCommitURL(t *testing.T) {
	const sha = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		repoURL, provider, want string
	}{
		{"https://github.com/Org/App.git", "", "https://github.com/org/app/commit/" + sha},
		{"git@github.com:org/app.git", "", "https://github.com/org/app/commit/" + sha},
		{"https://user@github.example.com/org/app", "", "https://github.example.com/org/app/commit/" + sha},
		{"https://acme.ghe.com/org/app.git", "", "https://acme.ghe.com/org/app/commit/" + sha},
		{"https://github.com/org/group/app", "", ""}, // not owner/repo
		{"https://gitlab.com/group/sub/app.git", "", "https://gitlab.com/group/sub/app/-/commit/" + sha},
		{"ssh://git@gitlab.example.com:2222/group/app.git", "", "https://gitlab.example.com/group/app/-/commit/" + sha},
		{"https://gitea.example.com/org/app.git", "", "https://gitea.example.com/org/app/commit/" + sha},
		{"https://bitbucket.org/team/app.git", "", "https://bitbucket.org/team/app/commits/" + sha},
		{"https://dev.azure.com/org/proj/_git/app", "", "https://dev.azure.com/org/proj/_git/app/commit/" + sha},
		{"https://git.example.com/org/app.git", "", ""},
		{"https://git.example.com/org/app.git", "gitlab", "https://git.example.com/org/app/-/commit/" + sha},
		{"https://git.example.com:8443/org/app.git", "gitea", "https://git.example.com:8443/org/app/commit/" + sha},
		{"https://git.example.com/org/app.git", "github", "https://git.example.com/org/app/commit/" + sha},
		{"/srv/git/app.git", "github", ""},
	}
	for _, tt := range tests {
		t.Run(tt.repoURL+"/"+tt.provider, func(t *testing.T) {
			if got := commitURL(tt.repoURL, tt.provider, sha); got != tt.want {
				t.Fatalf("commitURL = %q, want %q", got, tt.want)
			}
		})
	}
}

// The provider field reaches the output of a real push.
func TestPushCommitURLOutput(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"a": "1"})
	e := newEnv(t, Options{}, nil)
	e.cloneMain(r.URL)
	e.write("out/a", "2")
	commit := e.commit("a to 2")["commit"]
	out := e.push(map[string]any{"provider": "gitea"})
	want := s.URL[len("http://"):] + "/app/commit/" + commit.(string)
	if out["commitURL"] != "https://"+want {
		t.Fatalf("commitURL = %v, want https://%s", out["commitURL"], want)
	}
}
