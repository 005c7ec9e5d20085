package gitsteps

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/git/gittest"
	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/workdir"
)

func gitmodules(subs ...string) string {
	var b strings.Builder
	for i := 0; i < len(subs); i += 2 {
		fmt.Fprintf(&b, "[submodule %q]\n\tpath = %s\n\turl = %s\n", subs[i], subs[i], subs[i+1])
	}
	return b.String()
}

// superproject creates lib (holding lib.txt) and returns super, whose main
// branch records lib's first commit under libs/lib with the URL libURL
// ("" for the relative ../lib.git).
func superproject(t *testing.T, s *gittest.Server, libURL string) *gittest.Repo {
	t.Helper()
	lib := s.CreateRepo("lib", map[string]string{"lib.txt": "lib v1"})
	libV1 := lib.Head("main")
	lib.Commit("main", "lib v2", map[string]string{"lib.txt": "lib v2"})
	if libURL == "" {
		libURL = "../lib.git"
	}
	super := s.InitRepo("super")
	if _, err := super.Apply(gittest.Change{Branch: "main", Message: "super",
		Files:    map[string]string{"app.txt": "app", ".gitmodules": gitmodules("libs/lib", libURL)},
		Gitlinks: map[string]string{"libs/lib": libV1}}); err != nil {
		t.Fatal(err)
	}
	return super
}

func TestCloneRecurseSubmodules(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush(), gittest.WithBasicAuth("user", "s3cret-token"))
	super := superproject(t, s, "")
	creds := fakeCreds{super.URL: {Username: "user", Password: "s3cret-token"}}
	e := newEnv(t, Options{}, creds)
	cfg := map[string]any{
		"repoURL":           super.URL,
		"recurseSubmodules": true,
		"checkout":          []any{map[string]any{"branch": "main", "path": "out"}},
	}
	e.must("git-clone", cfg, railyard.StepStatusSucceeded)
	if got := e.read("out/libs/lib/lib.txt"); got != "lib v1" {
		t.Fatalf("lib.txt = %q, want the recorded commit's", got)
	}
	gitlink := mustGit(t, super, "rev-parse", "main:libs/lib")

	// A change to the superproject commits and pushes without touching the
	// submodule's recorded commit.
	e.write("out/app.txt", "app v2")
	e.commit("app v2")
	e.push(nil)
	if super.ReadFile("main", "app.txt") != "app v2" || mustGit(t, super, "rev-parse", "main:libs/lib") != gitlink {
		t.Fatal("push changed the submodule or lost the change")
	}

	// Without recurseSubmodules the submodule directory stays empty.
	e2 := newEnv(t, Options{}, creds)
	delete(cfg, "recurseSubmodules")
	e2.must("git-clone", cfg, railyard.StepStatusSucceeded)
	if e2.exists("out/libs/lib/lib.txt") {
		t.Fatal("submodule checked out without recurseSubmodules")
	}
}

// A submodule on another host gets that host's credentials only; with none
// it fails, and the superproject's credentials are never sent there.
func TestCloneSubmoduleOtherHostCredentials(t *testing.T) {
	libServer := gittest.NewServer(t, gittest.WithBasicAuth("lib-user", "lib-token"))
	lib := libServer.CreateRepo("lib", map[string]string{"lib.txt": "lib"})
	s := gittest.NewServer(t, gittest.WithBasicAuth("user", "s3cret-token"))
	super := s.InitRepo("super")
	if _, err := super.Apply(gittest.Change{Branch: "main", Message: "super",
		Files:    map[string]string{".gitmodules": gitmodules("lib", lib.URL)},
		Gitlinks: map[string]string{"lib": lib.Head("main")}}); err != nil {
		t.Fatal(err)
	}
	cfg := map[string]any{"repoURL": super.URL, "recurseSubmodules": true,
		"checkout": []any{map[string]any{"path": "out"}}}
	superCreds := &promotion.Credentials{Username: "user", Password: "s3cret-token"}

	e := newEnv(t, Options{}, fakeCreds{super.URL: superCreds})
	res, err := e.run("git-clone", cfg)
	if err == nil || res.Status != railyard.StepStatusFailed || !strings.Contains(res.Message, `submodule "lib"`) {
		t.Fatalf("status %s, err %v", res.Status, err)
	}
	if e.exists("out") {
		t.Fatal("a failed clone must leave nothing behind")
	}

	e = newEnv(t, Options{}, fakeCreds{super.URL: superCreds, lib.URL: {Username: "lib-user", Password: "lib-token"}})
	e.must("git-clone", cfg, railyard.StepStatusSucceeded)
	if e.read("out/lib/lib.txt") != "lib" {
		t.Fatal("submodule not checked out")
	}
}

func TestCloneSubmoduleRefusals(t *testing.T) {
	s := gittest.NewServer(t)
	lib := s.CreateRepo("lib", map[string]string{"lib.txt": "lib"})
	tests := []struct {
		name    string
		change  gittest.Change
		wantErr []string
	}{
		{"local path url", gittest.Change{
			Files:    map[string]string{".gitmodules": gitmodules("lib", lib.Dir)},
			Gitlinks: map[string]string{"lib": lib.Head("main")},
		}, []string{"recurseSubmodules", `submodule "lib"`, "not a network URL"}},
		{"file url", gittest.Change{
			Files:    map[string]string{".gitmodules": gitmodules("lib", "file://"+lib.Dir)},
			Gitlinks: map[string]string{"lib": lib.Head("main")},
		}, []string{"recurseSubmodules", "not a network URL"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			super := s.InitRepo(fmt.Sprintf("super%d", i))
			tt.change.Branch, tt.change.Message = "main", "super"
			if _, err := super.Apply(tt.change); err != nil {
				t.Fatal(err)
			}
			e := newEnv(t, Options{}, nil)
			res, err := e.run("git-clone", map[string]any{"repoURL": super.URL, "recurseSubmodules": true,
				"checkout": []any{map[string]any{"path": "out"}}})
			wantTerminal(t, res, err, tt.wantErr...)
			if e.exists("out") {
				t.Error("a refused clone must leave nothing behind")
			}
		})
	}
}

// A tree holding both a symbolic link and a submodule below it: the
// submodule must not be written through the link. (go-git's checkout
// already drops the link; checkSubmodulePath is the second line.)
func TestCloneSubmoduleBelowSymlinkStaysInside(t *testing.T) {
	s := gittest.NewServer(t)
	lib := s.CreateRepo("lib", map[string]string{"lib.txt": "lib"})
	outside := t.TempDir()
	super := s.InitRepo("super")
	if _, err := super.Apply(gittest.Change{Branch: "main", Message: "super",
		Files:    map[string]string{".gitmodules": gitmodules("link/lib", lib.URL)},
		Symlinks: map[string]string{"link": outside},
		Gitlinks: map[string]string{"link/lib": lib.Head("main")}}); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, Options{}, nil)
	res, err := e.run("git-clone", map[string]any{"repoURL": super.URL, "recurseSubmodules": true,
		"checkout": []any{map[string]any{"path": "out"}}})
	if err != nil && !errors.Is(err, workdir.ErrPathEscapes) {
		t.Fatalf("status %s: %v", res.Status, err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("written outside the checkout: %v", entries)
	}
	if err == nil && e.read("out/link/lib/lib.txt") != "lib" {
		t.Fatal("submodule missing")
	}
}
