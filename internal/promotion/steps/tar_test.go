package steps

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// listArchive describes an archive's entries, one line each.
func listArchive(t *testing.T, data []byte) string {
	t.Helper()
	var r io.Reader = bytes.NewReader(data)
	if len(data) > 2 && data[0] == 0x1f && data[1] == 0x8b {
		gz, err := gzip.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		r = gz
	}
	tr := tar.NewReader(r)
	var b strings.Builder
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		switch hdr.Typeflag {
		case tar.TypeSymlink:
			fmt.Fprintf(&b, "%s -> %s\n", hdr.Name, hdr.Linkname)
		case tar.TypeDir:
			fmt.Fprintf(&b, "%s\n", hdr.Name)
		default:
			fmt.Fprintf(&b, "%s %o: %s\n", hdr.Name, hdr.Mode, body)
		}
	}
	return b.String()
}

var tarSource = map[string]string{
	"src/Chart.yaml":            "name: app",
	"src/templates/deploy.yaml": "kind: Deployment",
	"src/tmp/scratch.txt":       "scratch",
	"src/debug.log":             "noise",
	"src/.git/HEAD":             "ref: refs/heads/main",
	"single.yaml":               "a: 1",
}

func TestTar(t *testing.T) {
	tests := []struct {
		name   string
		config map[string]any
		out    string
	}{
		{name: "directory", config: map[string]any{"inPath": "src", "outPath": "out/app.tar"}},
		{name: "directory-gzip-ignore", config: map[string]any{"inPath": "src", "outPath": "out/app.tgz", "gzip": true, "ignore": "*.log\ntmp/\n"}},
		{name: "single-file", config: map[string]any{"inPath": "single.yaml", "outPath": "single.tar"}, out: "single.tar"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := workDir(t, tarSource)
			symlink(t, dir, "src/link.yaml", "Chart.yaml")
			run(t, Tar{}, stepContext(dir, tc.config))
			out := tc.out
			if out == "" {
				out = tc.config["outPath"].(string)
			}
			got := listArchive(t, readFile(t, filepath.Join(dir, out)))
			golden(t, "tar/"+tc.name+".txt", []byte(got))
			first := readFile(t, filepath.Join(dir, out))
			// Touching the sources changes nothing: the archive has no times.
			later := time.Now().Add(time.Hour)
			if err := os.Chtimes(filepath.Join(dir, "src/Chart.yaml"), later, later); err != nil {
				t.Fatal(err)
			}
			run(t, Tar{}, stepContext(dir, tc.config))
			if again := readFile(t, filepath.Join(dir, out)); !bytes.Equal(again, first) {
				t.Errorf("second run gave another archive:\n%s", listArchive(t, again))
			}
			if leftovers, _ := filepath.Glob(filepath.Join(dir, filepath.Dir(out), ".*.tmp")); len(leftovers) > 0 {
				t.Errorf("temporary files left: %v", leftovers)
			}
		})
	}
}

// TestTarUntarRoundTrip archives a tree and extracts it elsewhere.
func TestTarUntarRoundTrip(t *testing.T) {
	dir := workDir(t, tarSource)
	symlink(t, dir, "src/link.yaml", "Chart.yaml")
	run(t, Tar{}, stepContext(dir, map[string]any{"inPath": "src", "outPath": "app.tgz", "gzip": true}))
	run(t, Untar{}, stepContext(dir, map[string]any{"inPath": "app.tgz", "outPath": "copy"}))
	if got, want := listTree(t, filepath.Join(dir, "copy")), strings.ReplaceAll(listTree(t, filepath.Join(dir, "src")), ".git/\n.git/HEAD: ref: refs/heads/main\n", ""); got != want {
		t.Errorf("round trip:\n got %s\nwant %s", got, want)
	}
}

func TestTarBadInput(t *testing.T) {
	s := newOutsideDir(t)
	tests := []struct {
		name    string
		step    Tar
		config  map[string]any
		wantMsg []string
		escape  bool
	}{
		{name: "unknown field", config: map[string]any{"inPath": "src", "outPath": "o.tar", "x": 1}, wantMsg: []string{`"x"`}},
		{name: "missing inPath", config: map[string]any{"outPath": "o.tar"}, wantMsg: []string{`"inPath"`}},
		{name: "missing outPath", config: map[string]any{"inPath": "src"}, wantMsg: []string{`"outPath"`}},
		{name: "gzip not a bool", config: map[string]any{"inPath": "src", "outPath": "o.tar", "gzip": "yes"}, wantMsg: []string{"gzip"}},
		{name: "missing inPath file", config: map[string]any{"inPath": "nope", "outPath": "o.tar"}, wantMsg: []string{"nope", "does not exist"}},
		{name: "outPath inside inPath", config: map[string]any{"inPath": "src", "outPath": "src/o.tar"}, wantMsg: []string{"inside inPath"}},
		{name: "outPath is a directory", config: map[string]any{"inPath": "single.yaml", "outPath": "src"}, wantMsg: []string{"is a directory"}},
		{name: "work directory into itself", config: map[string]any{"inPath": ".", "outPath": "o.tar"}, wantMsg: []string{"inside inPath"}},
		{name: "total size", step: Tar{MaxBytes: 20}, config: map[string]any{"inPath": "src", "outPath": "o.tar"}, wantMsg: []string{"more than 20 bytes"}},
		{name: "file size", step: Tar{MaxFileBytes: 5}, config: map[string]any{"inPath": "src", "outPath": "o.tar"}, wantMsg: []string{"limit of 5"}},
	}
	for kind, p := range s.escapePaths("secret.yaml") {
		tests = append(tests, struct {
			name    string
			step    Tar
			config  map[string]any
			wantMsg []string
			escape  bool
		}{name: "inPath escape " + kind, config: map[string]any{"inPath": filepath.Dir(p), "outPath": "o.tar"}, escape: true})
		tests = append(tests, struct {
			name    string
			step    Tar
			config  map[string]any
			wantMsg []string
			escape  bool
		}{name: "outPath escape " + kind, config: map[string]any{"inPath": "src", "outPath": p}, escape: true})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := workDir(t, tarSource)
			s.linkOut(t, dir)
			err := wantFailure(t, tc.step, stepContext(dir, tc.config), tc.wantMsg...)
			if tc.escape != isPathEscape(err) {
				t.Errorf("path escape = %v, want %v (%v)", isPathEscape(err), tc.escape, err)
			}
			if _, err := os.Stat(filepath.Join(dir, "o.tar")); err == nil {
				t.Error("a failed tar left an archive")
			}
			if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(leftovers) > 0 {
				t.Errorf("temporary files left: %v", leftovers)
			}
			s.check(t)
		})
	}
}
