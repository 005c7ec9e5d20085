package git

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/railyard-dev/railyard/internal/git/gittest"
)

func TestPushRefs(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"a": "1"})
	w, err := Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Dir: filepath.Join(t.TempDir(), "wt")})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, w, "a", "mine")
	mine, err := w.CommitAll("mine", bot)
	if err != nil {
		t.Fatal(err)
	}
	upstream := r.Commit("main", "upstream", map[string]string{"a": "upstream"})
	main := plumbing.NewBranchReferenceName("main")
	ctx := context.Background()

	tests := []struct {
		name       string
		update     RefUpdate
		wantPushed bool
		wantErr    string
		wantMain   string
	}{
		{"non-fast-forward refused", RefUpdate{Local: main, Remote: main}, false, "non-fast-forward", upstream},
		{"forced", RefUpdate{Local: main, Remote: main, Force: true}, true, "", mine},
		{"forced again", RefUpdate{Local: main, Remote: main, Force: true}, false, "", mine},
		{"to a new branch", RefUpdate{Local: main, Remote: "refs/heads/copy"}, true, "", mine},
		{"bad ref", RefUpdate{Local: main, Remote: "refs/heads/a..b"}, false, "a..b", mine},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pushed, err := PushRefs(ctx, w.Dir(), r.URL, Credentials{}, tt.update)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil || pushed != tt.wantPushed {
				t.Fatalf("pushed %v, err %v; want %v", pushed, err, tt.wantPushed)
			}
			if got := r.Head("main"); got != tt.wantMain {
				t.Fatalf("main at %s, want %s", got, tt.wantMain)
			}
		})
	}
}
