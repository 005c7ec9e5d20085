package e2e

import (
	"maps"
	"os/exec"
	"strings"
	"testing"

	"github.com/railyard-dev/railyard/internal/git/gittest"
)

// The benchmark reads branch heads from the repository's files; they must
// be git's, whether a branch is a loose ref or packed.
func TestBranchHeadsAreGits(t *testing.T) {
	s := gittest.NewServer(t)
	r := s.CreateRepo("gitops", map[string]string{"README.md": "x\n"})
	git := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("git", append([]string{"-C", r.Dir}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	head := r.Head("main")
	git("update-ref", "refs/heads/kargo/a/test", head)
	git("pack-refs", "--all")
	next, err := r.Apply(gittest.Change{Branch: "main", Message: "two", Files: map[string]string{"b": "y\n"}})
	if err != nil {
		t.Fatal(err)
	}
	git("update-ref", "refs/heads/kargo/a/test", next) // loose over packed
	git("update-ref", "refs/heads/kargo/b/test", head)
	want := map[string]string{}
	for _, l := range strings.Split(git("for-each-ref", "--format=%(refname:strip=2) %(objectname)", "refs/heads/kargo/"), "\n") {
		name, id, _ := strings.Cut(l, " ")
		want[name] = id
	}
	got, err := branchHeads(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, want) || len(want) != 2 || want["kargo/a/test"] != next {
		t.Errorf("branchHeads = %v, git has %v", got, want)
	}
}
