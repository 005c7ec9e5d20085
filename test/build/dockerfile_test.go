// Package build checks, without a container engine, that the Dockerfile
// stays consistent with the Makefile and the source tree.
package build

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/railyard-dev/railyard/internal/testenv"
)

func TestDockerfileMatchesMakefile(t *testing.T) {
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()

	makeRun := regexp.MustCompile(`make ([a-z-]+)`)
	var copied, targets []string
	stages := 0
	nonRoot := false
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		fields := strings.Fields(line)
		if len(fields) == 0 || strings.HasPrefix(line, "#") {
			continue
		}
		switch fields[0] {
		case "FROM":
			stages++
		case "COPY":
			if !strings.HasPrefix(fields[1], "--from=") {
				copied = append(copied, fields[1:len(fields)-1]...)
			}
		case "RUN":
			for _, m := range makeRun.FindAllStringSubmatch(line, -1) {
				targets = append(targets, m[1])
			}
		case "USER":
			nonRoot = fields[1] != "0" && fields[1] != "root" && !strings.HasPrefix(fields[1], "0:")
		}
	}
	if stages < 2 {
		t.Errorf("the Dockerfile has %d stages, want a build stage and a runtime stage", stages)
	}
	if !nonRoot {
		t.Error("the runtime image must run as a non-root USER")
	}
	for _, src := range copied {
		if _, err := os.Stat(filepath.Join(root, src)); err != nil {
			t.Errorf("the Dockerfile copies %s, which does not exist", src)
		}
	}
	if len(targets) == 0 {
		t.Fatal("the Dockerfile builds nothing with make")
	}
	// Every make target the image uses exists, and builds only from what
	// the Dockerfile copied in.
	cmd := exec.Command("make", append([]string{"-n"}, targets...)...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make -n %v: %v\n%s", targets, err, out)
	}
	for _, pkg := range regexp.MustCompile(`\./cmd/[a-z]+`).FindAllString(string(out), -1) {
		if _, err := os.Stat(filepath.Join(root, pkg)); err != nil {
			t.Errorf("make builds %s, which does not exist", pkg)
		}
	}
	if !strings.Contains(string(out), "CGO_ENABLED=0") {
		t.Error("make build must produce static binaries (CGO_ENABLED=0) for the distroless image")
	}
}
