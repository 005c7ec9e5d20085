package gitsteps

import (
	"errors"
	"strings"
	"testing"
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/git"
	"github.com/railyard-dev/railyard/internal/git/gittest"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// The steps that talk to a git server are retried by default, within a
// timeout, so a server that is down for a moment does not fail the
// Promotion; the local ones keep the engine's single attempt.
func TestNetworkStepsRetryByDefault(t *testing.T) {
	for _, s := range Steps(Options{}) {
		d, ok := s.(promotion.Defaults)
		switch s.Name() {
		case "git-clone", "git-push", "github-push":
			if !ok || d.DefaultErrorThreshold() <= 1 || d.DefaultTimeout() <= 0 {
				t.Errorf("%s: want retry defaults with a threshold > 1 and a timeout, got %v", s.Name(), d)
			}
			if ok && d.DefaultTimeout() < git.DefaultOperationTimeout {
				t.Errorf("%s: step timeout %s is shorter than one git operation (%s)",
					s.Name(), d.DefaultTimeout(), git.DefaultOperationTimeout)
			}
		default:
			if ok {
				t.Errorf("%s touches no network but has retry defaults", s.Name())
			}
		}
	}
}

// A refused connection or a frozen server is a retryable error (not
// Terminal, status Errored) that names the server, for clone and push.
func TestNetworkErrorsAreRetryable(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"a": "1"})
	short := Options{Timeouts: git.Timeouts{Operation: 2 * time.Second}}

	tests := []struct {
		name    string
		step    string
		break_  func(f *gittest.Freezer)
		wantErr error
	}{
		{"clone refused", "git-clone", (*gittest.Freezer).Close, git.ErrUnreachable},
		{"clone frozen", "git-clone", (*gittest.Freezer).Freeze, git.ErrTimeout},
		{"push refused", "git-push", (*gittest.Freezer).Close, git.ErrUnreachable},
		{"push frozen", "git-push", (*gittest.Freezer).Freeze, git.ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := gittest.NewFreezer(t, hostOf(r.URL))
			e := newEnv(t, short, nil)
			cfg := map[string]any{"path": "./out"}
			if tt.step == "git-clone" {
				tt.break_(f)
				cfg = map[string]any{"repoURL": f.URL(r.URL),
					"checkout": []any{map[string]any{"branch": "main", "path": "./out"}}}
			} else {
				e.cloneMain(f.URL(r.URL))
				e.write("out/b", "2")
				e.commit("b")
				tt.break_(f)
			}
			res, err := e.run(tt.step, cfg)
			switch {
			case err == nil:
				t.Fatalf("no error; result %+v", res)
			case promotion.IsTerminal(err) || res.Status != railyard.StepStatusErrored:
				t.Errorf("want a retryable error, got terminal=%t status=%s: %v", promotion.IsTerminal(err), res.Status, err)
			case !errors.Is(err, tt.wantErr):
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			case !strings.Contains(res.Message, f.Addr):
				t.Errorf("message %q does not name the server %s", res.Message, f.Addr)
			}
		})
	}
}

func hostOf(url string) string {
	rest := strings.TrimPrefix(url, "http://")
	return rest[:strings.IndexByte(rest, '/')]
}
