package git

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/railyard-dev/railyard/internal/git/gittest"
)

// A server that accepts connections and then never answers ends every
// operation with ErrTimeout naming the server, by the operation deadline
// or by the no-progress timeout, over HTTP and SSH.
func TestFrozenServer(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"a": "1"})
	key, pub := gittest.GenerateKey(t)
	ss := s.StartSSH(pub)
	sshCreds := Credentials{SSHPrivateKey: key, InsecureIgnoreHostKey: true}
	byDeadline := Timeouts{Operation: 2 * time.Second, Idle: time.Hour}
	byIdle := Timeouts{Operation: time.Hour, Idle: time.Second}

	tests := []struct {
		name     string
		url      string // of the working server; "" for one frozen from the start
		frozen   string
		creds    Credentials
		timeouts Timeouts
		op       func(ctx context.Context, url string, c Credentials) error
	}{
		{name: "ls-remote http", frozen: r.URL, timeouts: byDeadline, op: listRefs},
		{name: "clone http", frozen: r.URL, timeouts: byDeadline, op: clone(t)},
		{name: "clone http no progress", frozen: r.URL, timeouts: byIdle, op: clone(t)},
		{name: "push http", url: r.URL, timeouts: byDeadline, op: nil},
		{name: "ls-remote ssh", frozen: ss.RepoURL("app"), creds: sshCreds, timeouts: byDeadline, op: listRefs},
		{name: "clone ssh", frozen: ss.RepoURL("app"), creds: sshCreds, timeouts: byDeadline, op: clone(t)},
		{name: "clone ssh no progress", frozen: ss.RepoURL("app"), creds: sshCreds, timeouts: byIdle, op: clone(t)},
		{name: "push ssh", url: ss.RepoURL("app"), creds: sshCreds, timeouts: byDeadline, op: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			creds := tt.creds
			var f *gittest.Freezer
			var run func(ctx context.Context) error
			if tt.url == "" {
				f = gittest.NewFreezer(t, "")
				creds.Timeouts = tt.timeouts
				run = func(ctx context.Context) error { return tt.op(ctx, f.URL(tt.frozen), creds) }
			} else {
				// Clone through a working proxy, then freeze it before the push.
				f = gittest.NewFreezer(t, hostPort(t, tt.url))
				w, err := Clone(context.Background(), f.URL(tt.url), creds, CloneOptions{Dir: t.TempDir()})
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, w, "b-"+strings.ReplaceAll(tt.name, " ", "-"), "2")
				if _, err := w.CommitAll("b", bot); err != nil {
					t.Fatal(err)
				}
				f.Freeze()
				w.rem.creds.Timeouts = tt.timeouts
				run = func(ctx context.Context) error {
					_, err := w.Push(ctx, PushOptions{MaxAttempts: 1})
					return err
				}
			}
			err := withinSafetyNet(t, run)
			if !errors.Is(err, ErrTimeout) {
				t.Fatalf("err = %v, want ErrTimeout", err)
			}
			if !strings.Contains(err.Error(), f.Addr) {
				t.Errorf("error %q does not name the server %s", err, f.Addr)
			}
		})
	}
}

// A caller's cancellation ends an SSH handshake with a frozen server too.
func TestFrozenSSHHonoursCancel(t *testing.T) {
	f := gittest.NewFreezer(t, "")
	key, _ := gittest.GenerateKey(t)
	creds := Credentials{SSHPrivateKey: key, InsecureIgnoreHostKey: true,
		Timeouts: Timeouts{Operation: time.Hour, Idle: time.Hour}}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	err := withinSafetyNet(t, func(context.Context) error {
		_, err := ListRefs(ctx, "ssh://git@"+f.Addr+"/app.git", creds)
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestRefusedConnectionIsUnreachable(t *testing.T) {
	f := gittest.NewFreezer(t, "")
	addr := f.Addr
	f.Close()
	for _, repoURL := range []string{"http://" + addr + "/app.git", "ssh://git@" + addr + "/app.git"} {
		key, _ := gittest.GenerateKey(t)
		_, err := ListRefs(context.Background(), repoURL, Credentials{SSHPrivateKey: key, InsecureIgnoreHostKey: true})
		if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), addr) {
			t.Errorf("%s: err = %v, want ErrUnreachable naming %s", repoURL, err, addr)
		}
	}
}

func TestDefaultTimeouts(t *testing.T) {
	var zero Timeouts
	if got := zero.operation(); got != DefaultOperationTimeout {
		t.Errorf("operation default = %s", got)
	}
	if got := zero.idle(); got != DefaultIdleTimeout || got > 30*time.Second {
		t.Errorf("idle default = %s, want %s (at most 30s)", got, DefaultIdleTimeout)
	}
}

func listRefs(ctx context.Context, url string, c Credentials) error {
	_, err := ListRefs(ctx, url, c)
	return err
}

func clone(t *testing.T) func(ctx context.Context, url string, c Credentials) error {
	return func(ctx context.Context, url string, c Credentials) error {
		_, err := Clone(ctx, url, c, CloneOptions{Dir: t.TempDir()})
		return err
	}
}

// withinSafetyNet runs op with a generous context and fails the test if op
// has not returned by then (a hang guard, not a timing assertion).
func withinSafetyNet(t *testing.T, op func(ctx context.Context) error) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- op(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		t.Fatal("operation still running after the safety net expired")
		return nil
	}
}

func hostPort(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}
