package gitprovider

import (
	"context"
	"net/http"
	"testing"
)

// fakeRepo is an in-memory Interface for the idempotency helpers.
type fakeRepo struct {
	prs      []PullRequest
	creates  int
	conflict bool // CreatePullRequest reports a conflict after a racer opened one
}

func (f *fakeRepo) CreatePullRequest(_ context.Context, o CreateOpts) (*PullRequest, error) {
	f.creates++
	pr := PullRequest{Number: int64(len(f.prs) + 1), Open: true, Head: o.Head, Base: o.Base}
	f.prs = append(f.prs, pr)
	if f.conflict {
		return nil, &APIError{Provider: "fake", StatusCode: http.StatusUnprocessableEntity, Message: "A pull request already exists"}
	}
	return &pr, nil
}

func (f *fakeRepo) GetPullRequest(context.Context, int64) (*PullRequest, error) {
	return nil, ErrNotFound
}

func (f *fakeRepo) ListPullRequests(_ context.Context, o ListOpts) ([]PullRequest, error) {
	var out []PullRequest
	for _, pr := range f.prs {
		if o.keep(pr) {
			out = append(out, pr)
		}
	}
	return out, nil
}

func (f *fakeRepo) MergePullRequest(context.Context, int64, MergeOpts) (*PullRequest, bool, error) {
	return nil, false, nil
}

func TestOpenPullRequestOnce(t *testing.T) {
	ctx := context.Background()
	f := &fakeRepo{prs: []PullRequest{{Number: 1, Open: false, Head: "promo", Base: "main"}}}
	opts := CreateOpts{Title: "t", Head: "promo", Base: "main"}
	first, created, err := OpenPullRequest(ctx, f, opts)
	if err != nil || !created || first.Number != 2 {
		t.Fatalf("first = %+v, %v, %v", first, created, err)
	}
	// A restarted step asks again: the open one is reused.
	again, created, err := OpenPullRequest(ctx, f, opts)
	if err != nil || created || again.Number != 2 || f.creates != 1 {
		t.Fatalf("again = %+v, %v, %v (%d creates)", again, created, err, f.creates)
	}
	// Losing a race: the provider refuses with a conflict, the winner's is used.
	r := &fakeRepo{conflict: true}
	won, created, err := OpenPullRequest(ctx, r, CreateOpts{Head: "x", Base: "main"})
	if err != nil || created || won == nil || won.Head != "x" {
		t.Fatalf("race = %+v, %v, %v", won, created, err)
	}
}

func TestAzureAPIBase(t *testing.T) {
	for in, want := range map[string]string{
		"https://dev.azure.com/org/proj/_git/repo":           "https://dev.azure.com/org/proj/_apis/git/repositories/repo",
		"https://user@dev.azure.com/org/my%20proj/_git/repo": "https://dev.azure.com/org/my%20proj/_apis/git/repositories/repo",
		"https://org.visualstudio.com/proj/_git/repo":        "https://org.visualstudio.com/proj/_apis/git/repositories/repo",
		"git@ssh.dev.azure.com:v3/org/proj/repo":             "https://dev.azure.com/org/proj/_apis/git/repositories/repo",
		"https://tfs.acme.io/tfs/Coll/proj/_git/repo":        "https://tfs.acme.io/tfs/Coll/proj/_apis/git/repositories/repo",
	} {
		ref, err := parseRepoURL(in)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := azureAPIBase(ref); err != nil || got != want {
			t.Errorf("azureAPIBase(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
