package gitsteps

import (
	"strings"
	"testing"

	"github.com/railyard-dev/railyard/internal/git"
	"github.com/railyard-dev/railyard/internal/git/gittest"
)

// TestCommitDiffOutput checks git-commit's diff output: the commit's own
// change, bounded, beside Kargo's commit output.
func TestCommitDiffOutput(t *testing.T) {
	tests := []struct {
		name      string
		content   string
		want      []string
		truncated bool
	}{
		{name: "image tag", content: "image: v2\n", want: []string{"--- a/app.yaml", "+++ b/app.yaml", "-image: v1", "+image: v2"}},
		{name: "bounded", content: strings.Repeat("0123456789abcdef\n", 2*CommitDiffLimit/17), want: []string{"+++ b/app.yaml"}, truncated: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := gittest.NewServer(t)
			r := s.CreateRepo("app", map[string]string{"app.yaml": "image: v1\n"})
			e := newEnv(t, Options{}, nil)
			e.cloneMain(r.URL)
			e.write("out/app.yaml", tt.content)
			out := e.commit("bump")
			diff, _ := out["diff"].(string)
			for _, w := range tt.want {
				if !strings.Contains(diff, w) {
					t.Errorf("diff lacks %q:\n%s", w, diff)
				}
			}
			if got := strings.HasSuffix(diff, git.TruncatedMarker); got != tt.truncated {
				t.Errorf("truncated = %v, want %v", got, tt.truncated)
			}
			if len(diff) > CommitDiffLimit+len(git.TruncatedMarker) {
				t.Errorf("diff is %d bytes, over the %d bound", len(diff), CommitDiffLimit)
			}
			if out["commit"] == "" {
				t.Error("commit output missing")
			}
		})
	}
}
