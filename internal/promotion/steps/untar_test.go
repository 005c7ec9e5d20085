package steps

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// entry is one member of a test archive.
type entry struct {
	name, body, link string
	typ              byte
}

func file(name, body string) entry       { return entry{name: name, body: body, typ: tar.TypeReg} }
func dirEntry(name string) entry         { return entry{name: name, typ: tar.TypeDir} }
func symlinkEntry(name, to string) entry { return entry{name: name, link: to, typ: tar.TypeSymlink} }
func hardlinkEntry(name, to string) entry {
	return entry{name: name, link: to, typ: tar.TypeLink}
}

func makeTar(t *testing.T, gz bool, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	var gzw *gzip.Writer
	tw := tar.NewWriter(&buf)
	if gz {
		gzw = gzip.NewWriter(&buf)
		tw = tar.NewWriter(gzw)
	}
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: 0o644}
		if e.typ == tar.TypeReg {
			hdr.Size = int64(len(e.body))
		}
		if e.typ == tar.TypeDir {
			hdr.Mode = 0o755
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if gzw != nil {
		if err := gzw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// writeArchive puts an archive at dir/name.
func writeArchive(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// listTree describes the tree below dir, links included, one line each.
func listTree(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.Type()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			b.WriteString(rel + " -> " + target + "\n")
		case d.IsDir():
			b.WriteString(rel + "/\n")
		default:
			b.WriteString(rel + ": " + string(readFile(t, p)) + "\n")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var chartEntries = []entry{
	dirEntry("mychart/"),
	file("mychart/Chart.yaml", "name: mychart"),
	file("mychart/values.yaml", "replicas: 1"),
	file("mychart/templates/deploy.yaml", "kind: Deployment"),
	file("mychart/debug.log", "noise"),
	file("mychart/.git/config", "[core]"),
	symlinkEntry("mychart/templates/link.yaml", "deploy.yaml"),
	symlinkEntry("mychart/values-link.yaml", "../mychart/values.yaml"),
	hardlinkEntry("mychart/values-copy.yaml", "mychart/values.yaml"),
}

func TestUntar(t *testing.T) {
	tests := []struct {
		name    string
		archive []byte
		config  map[string]any
		out     string
	}{
		{name: "gzip", archive: makeTar(t, true, chartEntries...), config: map[string]any{"inPath": "a.tgz", "outPath": "out"}},
		{name: "plain", archive: makeTar(t, false, chartEntries...), config: map[string]any{"inPath": "a.tgz", "outPath": "out"}},
		{name: "strip-and-ignore", archive: makeTar(t, true, chartEntries...), config: map[string]any{"inPath": "a.tgz", "outPath": "out", "stripComponents": 1, "ignore": "# logs\n*.log\n\ntemplates/\n"}},
		{name: "dot-slash-names", archive: makeTar(t, true, dirEntry("./"), file("./a.yaml", "a"), file("./sub/b.yaml", "b")), config: map[string]any{"inPath": "a.tgz", "outPath": "deep/nested/out"}, out: "deep/nested/out"},
		{name: "replaces-existing", archive: makeTar(t, true, file("new.yaml", "new")), config: map[string]any{"inPath": "a.tgz", "outPath": "existing"}, out: "existing"},
		{name: "duplicate-file-last-wins", archive: makeTar(t, false, file("a", "1"), file("a", "2")), config: map[string]any{"inPath": "a.tgz", "outPath": "out"}},
		{name: "devices-skipped", archive: makeTar(t, false, file("a", "1"), entry{name: "fifo", typ: tar.TypeFifo}), config: map[string]any{"inPath": "a.tgz", "outPath": "out"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := workDir(t, map[string]string{"existing/old.yaml": "old"})
			writeArchive(t, dir, "a.tgz", tc.archive)
			res := run(t, Untar{}, stepContext(dir, tc.config))
			if res.Output != nil {
				t.Errorf("output = %v, want none", res.Output)
			}
			out := tc.out
			if out == "" {
				out = "out"
			}
			got := listTree(t, filepath.Join(dir, out))
			golden(t, "untar/"+tc.name+".txt", []byte(got))
			// Running again gives the same tree, and leaves no temporary
			// directory behind.
			run(t, Untar{}, stepContext(dir, tc.config))
			if again := listTree(t, filepath.Join(dir, out)); again != got {
				t.Errorf("second run gave another tree:\n%s", again)
			}
			noTempLeft(t, dir)
		})
	}
}

func noTempLeft(t *testing.T, dir string) {
	t.Helper()
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".untar-") {
			t.Errorf("temporary directory left: %s", p)
		}
		return nil
	})
}

func TestUntarBadInput(t *testing.T) {
	s := newOutsideDir(t)
	zeros := strings.Repeat("\x00", 64<<10)
	ok := map[string]any{"inPath": "a.tgz", "outPath": "existing"}
	tests := []struct {
		name    string
		step    Untar
		archive []byte
		config  map[string]any
		wantMsg []string
		escape  bool
	}{
		{name: "unknown field", config: map[string]any{"inPath": "a.tgz", "outPath": "o", "x": 1}, wantMsg: []string{`"x"`}},
		{name: "missing inPath", config: map[string]any{"outPath": "o"}, wantMsg: []string{`"inPath"`}},
		{name: "missing outPath", config: map[string]any{"inPath": "a.tgz"}, wantMsg: []string{`"outPath"`}},
		{name: "negative stripComponents", config: map[string]any{"inPath": "a.tgz", "outPath": "o", "stripComponents": -1}, wantMsg: []string{"stripComponents"}},
		{name: "stripComponents not a number", config: map[string]any{"inPath": "a.tgz", "outPath": "o", "stripComponents": "1"}, wantMsg: []string{"stripComponents"}},
		{name: "ignore not a string", config: map[string]any{"inPath": "a.tgz", "outPath": "o", "ignore": 1}, wantMsg: []string{"ignore"}},
		{name: "missing archive", config: map[string]any{"inPath": "nope.tgz", "outPath": "o"}, wantMsg: []string{"nope.tgz", "does not exist"}},
		{name: "archive is a directory", config: map[string]any{"inPath": "existing", "outPath": "o"}, wantMsg: []string{"not a file"}},
		{name: "outPath is the work directory", config: map[string]any{"inPath": "a.tgz", "outPath": "."}, wantMsg: []string{"work directory"}},
		{name: "outPath is a file", config: map[string]any{"inPath": "a.tgz", "outPath": "a.tgz"}, wantMsg: []string{"not a directory"}},
		{name: "outPath in .git", config: map[string]any{"inPath": "a.tgz", "outPath": ".git/x"}, wantMsg: []string{".git"}},
		{name: "not an archive", archive: []byte("hello, this is not a tar file at all, but it is long enough to be read as a header block........................................................................................................................................................................................................................................................................................................................................................................................................................................................................................"), config: ok, wantMsg: []string{"not a valid tar archive"}},
		{name: "broken gzip", archive: []byte{0x1f, 0x8b, 1, 2, 3}, config: ok, wantMsg: []string{"gzip"}},
		{name: "truncated", archive: makeTar(t, false, file("a", strings.Repeat("x", 2000)))[:1200], config: ok, wantMsg: []string{"truncated"}},
		{name: "dotdot entry", archive: makeTar(t, true, file("a", "1"), file("../evil", "x")), config: ok, wantMsg: []string{`"../evil"`}, escape: true},
		{name: "dotdot inside entry", archive: makeTar(t, true, file("a/../../evil", "x")), config: ok, wantMsg: []string{"a/../../evil"}, escape: true},
		{name: "dotdot stripped away still refused", archive: makeTar(t, true, file("../evil", "x")), config: map[string]any{"inPath": "a.tgz", "outPath": "existing", "stripComponents": 1}, escape: true},
		{name: "absolute entry", archive: makeTar(t, true, file(filepath.Join(s.dir, "evil"), "x")), config: ok, wantMsg: []string{"absolute"}, escape: true},
		{name: "symlink absolute", archive: makeTar(t, true, symlinkEntry("l", s.dir)), config: ok, wantMsg: []string{`"l"`, "absolute"}, escape: true},
		{name: "symlink relative out", archive: makeTar(t, true, symlinkEntry("l", "../../../../../../../../../../.."+s.dir)), config: ok, wantMsg: []string{`"l"`}, escape: true},
		{name: "symlink then write through it", archive: makeTar(t, true, symlinkEntry("l", "../../"+filepath.Base(s.dir)), file("l/evil", "x")), config: ok, escape: true},
		{
			// Lexically inside, but b resolves to the output directory, so
			// a climbs out of the work directory: caught by resolving.
			name:    "symlink through symlink out",
			archive: makeTar(t, true, symlinkEntry("d1/d2/b", "../.."), symlinkEntry("d1/d2/a", "b/../../../../x")),
			config:  ok, wantMsg: []string{"d1/d2/a"}, escape: true,
		},
		{name: "hardlink absolute", archive: makeTar(t, true, hardlinkEntry("h", s.file())), config: ok, wantMsg: []string{`"h"`}, escape: true},
		{name: "hardlink dotdot", archive: makeTar(t, true, hardlinkEntry("h", "../secret.yaml")), config: ok, wantMsg: []string{`"h"`}, escape: true},
		{name: "hardlink to nothing", archive: makeTar(t, true, hardlinkEntry("h", "nope")), config: ok, wantMsg: []string{`"h"`, "not a file"}},
		{name: "total size", step: Untar{MaxBytes: 3000}, archive: makeTar(t, true, file("a", strings.Repeat("x", 2000)), file("b", strings.Repeat("x", 2000))), config: ok, wantMsg: []string{"more than 3000 bytes"}},
		{name: "file size", step: Untar{MaxFileBytes: 1000}, archive: makeTar(t, true, file("a", strings.Repeat("x", 2000))), config: ok, wantMsg: []string{`"a"`, "limit of 1000"}},
		{name: "hardlink copies count", step: Untar{MaxBytes: 3000}, archive: makeTar(t, true, file("a", strings.Repeat("x", 2000)), hardlinkEntry("b", "a")), config: ok, wantMsg: []string{"more than 3000 bytes"}},
		{name: "entry count", step: Untar{MaxEntries: 3}, archive: makeTar(t, true, file("a", ""), file("b", ""), file("c", ""), file("d", "")), config: ok, wantMsg: []string{"more than 3 entries"}},
		{
			// Ignored entries are not extracted, but still decompressed.
			name: "decompression bomb", step: Untar{MaxBytes: 16 << 10, MaxEntries: 10},
			archive: makeTar(t, true, file("big.log", zeros)), config: map[string]any{"inPath": "a.tgz", "outPath": "existing", "ignore": "*.log"},
			wantMsg: []string{"decompresses to more than"},
		},
	}
	for kind, p := range s.escapePaths("secret.yaml") {
		tests = append(tests, struct {
			name    string
			step    Untar
			archive []byte
			config  map[string]any
			wantMsg []string
			escape  bool
		}{name: "inPath escape " + kind, config: map[string]any{"inPath": p, "outPath": "existing"}, escape: true})
		tests = append(tests, struct {
			name    string
			step    Untar
			archive []byte
			config  map[string]any
			wantMsg []string
			escape  bool
		}{name: "outPath escape " + kind, config: map[string]any{"inPath": "a.tgz", "outPath": filepath.Join(filepath.Dir(p), "out")}, escape: true})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := workDir(t, map[string]string{"existing/old.yaml": "old"})
			archive := tc.archive
			if archive == nil {
				archive = makeTar(t, true, file("fine.yaml", "fine"))
			}
			writeArchive(t, dir, "a.tgz", archive)
			s.linkOut(t, dir)
			err := wantFailure(t, tc.step, stepContext(dir, tc.config), tc.wantMsg...)
			if tc.escape != isPathEscape(err) {
				t.Errorf("path escape = %v, want %v (%v)", isPathEscape(err), tc.escape, err)
			}
			if got := listTree(t, filepath.Join(dir, "existing")); got != "old.yaml: old\n" {
				t.Errorf("a failed untar changed the output directory:\n%s", got)
			}
			for _, name := range []string{"o", "evil", "x"} {
				if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
					t.Errorf("a failed untar created %q", name)
				}
			}
			noTempLeft(t, dir)
			s.check(t)
		})
	}
}
