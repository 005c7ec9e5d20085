package git

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/railyard-dev/railyard/internal/git/gittest"
	"golang.org/x/crypto/ssh/knownhosts"
)

func TestHTTPTokenAuth(t *testing.T) {
	const token = "ghp_exampletoken123"
	s := gittest.NewServer(t, gittest.WithBasicAuth("x-access-token", token), gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"a": "1"})
	ctx := context.Background()

	_, err := Clone(ctx, r.URL, Credentials{Username: "x-access-token", Password: "bad-token-456"},
		CloneOptions{Dir: t.TempDir(), Depth: 1})
	if !errors.Is(err, ErrAuthentication) {
		t.Fatalf("wrong token: err = %v", err)
	}
	if contains(err.Error(), "bad-token-456") {
		t.Fatalf("error leaks the token: %v", err)
	}

	w, err := Clone(ctx, r.URL, Credentials{Username: "x-access-token", Password: token},
		CloneOptions{Dir: t.TempDir(), Depth: 1})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, w, "b", "2")
	if _, err := w.CommitAll("b", bot); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Push(ctx, PushOptions{}); err != nil {
		t.Fatal(err)
	}
	if r.CommitCount("main") != 2 {
		t.Fatal("push did not land")
	}
}

func TestSSHAuth(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"a": "1"})
	key, pub := gittest.GenerateKey(t)
	wrongKey, _ := gittest.GenerateKey(t)
	ss := s.StartSSH(pub)
	otherHost := gittest.NewServer(t).StartSSH(pub)
	url := ss.RepoURL("app")
	ctx := context.Background()

	tests := []struct {
		name    string
		creds   Credentials
		wantErr error
	}{
		{"known host", Credentials{SSHPrivateKey: key, SSHKnownHosts: ss.KnownHosts()}, nil},
		{"insecure ignore host key", Credentials{SSHPrivateKey: key, InsecureIgnoreHostKey: true}, nil},
		{"wrong key", Credentials{SSHPrivateKey: wrongKey, SSHKnownHosts: ss.KnownHosts()}, ErrAuthentication},
		// A known_hosts entry for the same address with another key.
		{"host key mismatch", Credentials{SSHPrivateKey: key, SSHKnownHosts: sameAddr(otherHost, ss)}, ErrAuthentication},
		{"no key", Credentials{}, ErrAuthentication},
		{"garbage key", Credentials{SSHPrivateKey: []byte("-----BEGIN SECRET-----")}, ErrAuthentication},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refs, err := ListRefs(ctx, url, tt.creds)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if contains(err.Error(), "PRIVATE KEY") || contains(err.Error(), "SECRET") {
					t.Fatalf("error leaks key material: %v", err)
				}
				return
			}
			if b, ok := refs.Branch("main"); !ok || b.ID != r.Head("main") {
				t.Fatalf("main = %+v", b)
			}
		})
	}

	creds := Credentials{SSHPrivateKey: key, SSHKnownHosts: ss.KnownHosts()}
	w, err := Clone(ctx, url, creds, CloneOptions{Dir: filepath.Join(t.TempDir(), "wt"), Branch: "main", Depth: 1})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, w, "ssh.txt", "pushed over ssh")
	if _, err := w.CommitAll("over ssh", bot); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Push(ctx, PushOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := r.ReadFile("main", "ssh.txt"); got != "pushed over ssh" {
		t.Fatalf("remote content = %q", got)
	}
}

// sameAddr returns a known_hosts line that names want's address with the
// host key of other.
func sameAddr(other, want *gittest.SSHServer) []byte {
	return []byte(knownhosts.Line([]string{knownhosts.Normalize(want.Addr)}, other.HostKey) + "\n")
}

// Every credential field, and nothing but the URL's spelling, tells two
// remotes apart: the object cache and shared ref listings are keyed by it.
func TestRemoteKey(t *testing.T) {
	base := Credentials{Username: "u", Password: "p", SSHPrivateKey: []byte("k"), SSHKnownHosts: []byte("h")}
	key := RemoteKey("git@example.com:org/repo.git", base)
	if got := RemoteKey("ssh://git@example.com/org/repo.git", base); got != key {
		t.Errorf("the SCP and ssh:// spellings of one remote have different keys")
	}
	for name, change := range map[string]func(*Credentials){
		"username":            func(c *Credentials) { c.Username = "v" },
		"password":            func(c *Credentials) { c.Password = "q" },
		"private key":         func(c *Credentials) { c.SSHPrivateKey = []byte("l") },
		"known hosts":         func(c *Credentials) { c.SSHKnownHosts = nil },
		"ignored host key":    func(c *Credentials) { c.InsecureIgnoreHostKey = true },
		"skipped TLS":         func(c *Credentials) { c.InsecureSkipTLSVerify = true },
		"fields run together": func(c *Credentials) { c.Username, c.Password = "up", "" },
	} {
		c := base
		change(&c)
		if RemoteKey("git@example.com:org/repo.git", c) == key {
			t.Errorf("%s: same key as the original credentials", name)
		}
	}
}
