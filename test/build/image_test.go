package build

import (
	"bufio"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/railyard-dev/railyard/internal/imagebuild"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// instruction is one Dockerfile instruction with its continuation lines
// joined.
type instruction struct {
	cmd  string
	args string
}

// runtimeStage returns the instructions after the Dockerfile's last FROM.
func runtimeStage(t *testing.T, path string) []instruction {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var stage []instruction
	var cur strings.Builder
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if more, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(more + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		cur.Reset()
		if strings.EqualFold(cmd, "FROM") {
			stage = nil
			continue
		}
		stage = append(stage, instruction{strings.ToUpper(cmd), strings.TrimSpace(args)})
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return stage
}

// TestDockerfileBuildsWhatImagebuildBuilds keeps the Dockerfile and `make
// image` (internal/imagebuild) from drifting apart: same files, user,
// entrypoint, working directory, environment and labels.
func TestDockerfileBuildsWhatImagebuildBuilds(t *testing.T) {
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	var copied, env, labels []string
	got := map[string]string{}
	for _, in := range runtimeStage(t, filepath.Join(root, "Dockerfile")) {
		switch in.cmd {
		case "COPY":
			f := strings.Fields(in.args)
			copied = append(copied, f[len(f)-1])
		case "ENV":
			env = append(env, strings.Fields(in.args)...)
		case "LABEL":
			labels = append(labels, strings.Fields(in.args)...)
		case "USER", "WORKDIR", "ENTRYPOINT":
			got[in.cmd] = in.args
		}
	}

	wantCopied := []string{imagebuild.ManagerPath, imagebuild.GuardPath, imagebuild.CLIPath, imagebuild.HelmPath, imagebuild.SBOMPath}
	slices.Sort(copied)
	slices.Sort(wantCopied)
	if !slices.Equal(copied, wantCopied) {
		t.Errorf("the Dockerfile copies to %v, imagebuild to %v", copied, wantCopied)
	}
	if !slices.Equal(env, imagebuild.Env()) {
		t.Errorf("the Dockerfile's ENV is %v, imagebuild's %v", env, imagebuild.Env())
	}
	if got["USER"] != imagebuild.User {
		t.Errorf("the Dockerfile's USER is %q, imagebuild's %q", got["USER"], imagebuild.User)
	}
	if got["WORKDIR"] != imagebuild.WorkingDir {
		t.Errorf("the Dockerfile's WORKDIR is %q, imagebuild's %q", got["WORKDIR"], imagebuild.WorkingDir)
	}
	var entrypoint []string
	if err := json.Unmarshal([]byte(got["ENTRYPOINT"]), &entrypoint); err != nil || !slices.Equal(entrypoint, imagebuild.Entrypoint()) {
		t.Errorf("the Dockerfile's ENTRYPOINT is %s, imagebuild's %q", got["ENTRYPOINT"], imagebuild.Entrypoint())
	}

	// Label keys must match; values must match except where a build argument
	// supplies them.
	want := imagebuild.Labels(imagebuild.Meta{Version: "v", Revision: "r"})
	gotLabels := map[string]string{}
	for _, kv := range labels {
		k, v, _ := strings.Cut(kv, "=")
		gotLabels[k] = v
	}
	if g, w := slices.Sorted(maps.Keys(gotLabels)), slices.Sorted(maps.Keys(want)); !slices.Equal(g, w) {
		t.Errorf("the Dockerfile's labels are %v, imagebuild's %v", g, w)
	}
	for _, k := range []string{imagebuild.LabelSource, imagebuild.LabelTitle} {
		if gotLabels[k] != want[k] {
			t.Errorf("label %s: the Dockerfile says %q, imagebuild %q", k, gotLabels[k], want[k])
		}
	}
}

// TestMakefileImageFlags: `make image` compiles with the flags of `make
// build` and the helm of `make helm`.
func TestMakefileImageFlags(t *testing.T) {
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^([A-Z_]+)\s*:=\s*(.*)$`).FindAllStringSubmatch(string(mk), -1) {
		vars[m[1]] = strings.TrimSpace(m[2])
	}
	if got, want := vars["LDFLAGS"], imagebuild.LDFlags("$(VERSION)"); got != want {
		t.Errorf("Makefile LDFLAGS = %q, imagebuild.LDFlags = %q", got, want)
	}
	if got := vars["HELM_VERSION"]; got != imagebuild.DefaultHelmVersion {
		t.Errorf("Makefile HELM_VERSION = %q, imagebuild.DefaultHelmVersion = %q", got, imagebuild.DefaultHelmVersion)
	}
	if !strings.Contains(string(mk), "-ldflags '$(LDFLAGS)'") || !regexp.MustCompile(`(?m)^image:`).Match(mk) {
		t.Error("the Makefile's image target does not pass $(LDFLAGS) to hack/tools/image")
	}
}
