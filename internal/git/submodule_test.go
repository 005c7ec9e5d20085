package git

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/railyard-dev/railyard/internal/git/gittest"
)

func TestResolveSubmoduleURL(t *testing.T) {
	const parent = "https://git.example.com/org/super.git"
	tests := []struct {
		raw, want, wantErr string
	}{
		{raw: "../lib.git", want: "https://git.example.com/org/lib.git"},
		{raw: "./lib.git", want: "https://git.example.com/org/super.git/lib.git"},
		{raw: "../../other/lib", want: "https://git.example.com/other/lib"},
		{raw: "https://mirror.example.com/lib.git", want: "https://mirror.example.com/lib.git"},
		{raw: "git@github.com:org/lib.git", want: "ssh://git@github.com/org/lib.git"},
		{raw: "../../../../lib.git", wantErr: "leaves the server's path"},
		{raw: "", wantErr: "no url"},
		{raw: "/srv/git/lib.git", wantErr: "not a network URL"},
		{raw: "file:///srv/git/lib.git", wantErr: "not a network URL"},
		{raw: "ext::sh -c touch% /tmp/pwned", wantErr: "not a network URL"},
		{raw: "ftp://example.com/lib.git", wantErr: `scheme "ftp"`},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, err := resolveSubmoduleURL(parent, tt.raw)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %q, %v; want error %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestCheckSubmodulePath(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(t.TempDir(), filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, wantErr string
	}{
		{"lib", ""},
		{"real/lib", ""},
		{"link/lib", "symbolic link"},
		{"link", "symbolic link"},
		{"../lib", "leaves the checkout"},
		{".git/modules", "enters .git"},
		{"a/.GIT", "enters .git"},
		{"/abs", "not relative"},
		{`a\b`, "not relative"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			err := checkSubmodulePath(dir, tt.path)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// gitmodules is a .gitmodules file declaring submodules path -> url.
func gitmodules(subs ...string) string {
	var b strings.Builder
	for i := 0; i < len(subs); i += 2 {
		fmt.Fprintf(&b, "[submodule %q]\n\tpath = %s\n\turl = %s\n", subs[i], subs[i], subs[i+1])
	}
	return b.String()
}

func TestUpdateSubmodulesRecursively(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithBasicAuth("user", "s3cret-token"))
	deep := s.CreateRepo("deep", map[string]string{"deep.txt": "deep v1"})
	deepV1 := deep.Head("main")
	deep.Commit("main", "deep v2", map[string]string{"deep.txt": "deep v2"})
	lib := s.InitRepo("lib")
	libID, err := lib.Apply(gittest.Change{Branch: "main", Message: "lib",
		Files:    map[string]string{"lib.txt": "lib", ".gitmodules": gitmodules("vendor/deep", deep.URL)},
		Gitlinks: map[string]string{"vendor/deep": deepV1}})
	if err != nil {
		t.Fatal(err)
	}
	super := s.InitRepo("super")
	if _, err := super.Apply(gittest.Change{Branch: "main", Message: "super",
		Files:    map[string]string{"app.txt": "app", ".gitmodules": gitmodules("libs/lib", "../lib.git")},
		Gitlinks: map[string]string{"libs/lib": libID}}); err != nil {
		t.Fatal(err)
	}
	creds := Credentials{Username: "user", Password: "s3cret-token"}
	w, err := Clone(context.Background(), super.URL, creds, CloneOptions{Dir: filepath.Join(t.TempDir(), "wt")})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var asked []string
	lookup := func(_ context.Context, u string) (Credentials, error) {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, u)
		return creds, nil
	}
	if err := UpdateSubmodules(context.Background(), w.Dir(), super.URL, lookup); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, w, "libs/lib/lib.txt"); got != "lib" {
		t.Errorf("lib.txt = %q", got)
	}
	// The recorded commit, not the branch head, is checked out.
	if got := readFile(t, w, "libs/lib/vendor/deep/deep.txt"); got != "deep v1" {
		t.Errorf("deep.txt = %q, want the recorded commit's", got)
	}
	if want := []string{lib.URL, deep.URL}; !slices.Equal(asked, want) {
		t.Errorf("credentials asked for %v, want %v", asked, want)
	}
	// Running it again (a resumed step) changes nothing and succeeds.
	if err := UpdateSubmodules(context.Background(), w.Dir(), super.URL, lookup); err != nil {
		t.Fatal(err)
	}

	// Without credentials the server refuses, and says so.
	w2, err := Clone(context.Background(), super.URL, creds, CloneOptions{Dir: filepath.Join(t.TempDir(), "wt")})
	if err != nil {
		t.Fatal(err)
	}
	none := func(context.Context, string) (Credentials, error) { return Credentials{}, nil }
	err = UpdateSubmodules(context.Background(), w2.Dir(), super.URL, none)
	if !errors.Is(err, ErrAuthentication) || !strings.Contains(err.Error(), `submodule "libs/lib"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestUpdateSubmodulesRefusals(t *testing.T) {
	s := gittest.NewServer(t)
	lib := s.CreateRepo("lib", map[string]string{"lib.txt": "lib"})
	tests := []struct {
		name    string
		modules string
		link    string
		wantErr string
	}{
		{"local path url", gitmodules("lib", lib.Dir), "lib", "not a network URL"},
		{"file url", gitmodules("lib", "file://"+lib.Dir), "lib", "not a network URL"},
		{"commit missing on the remote", gitmodules("lib", lib.URL), "lib", "not found"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			super := s.InitRepo(fmt.Sprintf("super%d", i))
			id := lib.Head("main")
			if tt.wantErr == "not found" {
				id = strings.Repeat("ab", 20)
			}
			if _, err := super.Apply(gittest.Change{Branch: "main", Message: "super",
				Files: map[string]string{".gitmodules": tt.modules}, Gitlinks: map[string]string{tt.link: id}}); err != nil {
				t.Fatal(err)
			}
			w, err := Clone(context.Background(), super.URL, Credentials{}, CloneOptions{Dir: filepath.Join(t.TempDir(), "wt")})
			if err != nil {
				t.Fatal(err)
			}
			anon := func(context.Context, string) (Credentials, error) { return Credentials{}, nil }
			err = UpdateSubmodules(context.Background(), w.Dir(), super.URL, anon)
			if !errors.Is(err, ErrSubmodule) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
