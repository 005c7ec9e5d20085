package netsteps

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/railyard-dev/railyard/internal/workdir"
)

func TestHTTPDownload(t *testing.T) {
	srv := newAPIServer(t)
	tests := []struct {
		name     string
		cfg      map[string]any
		existing map[string]string // files in the work directory before
		want     outcome
		files    map[string]string // files after; "" means absent
	}{{
		name:  "into a new directory",
		cfg:   map[string]any{"url": srv.URL + "/typed/yaml", "outPath": "config/app.yaml"},
		want:  ok,
		files: map[string]string{"config/app.yaml": "a:\n  b: 7\n"},
	}, {
		name: "headers and query params are sent",
		cfg: map[string]any{"url": srv.URL + "/echo", "outPath": "echo.json",
			"headers":     []any{map[string]any{"name": "Accept", "value": "text/x"}},
			"queryParams": []any{map[string]any{"name": "v", "value": "1"}}},
		want:  ok,
		files: map[string]string{"echo.json": `{"accept":"text/x","auth":false,"body":"","method":"GET","query":{"v":["1"]}}` + "\n"},
	}, {
		name:     "existing file without allowOverwrite",
		cfg:      map[string]any{"url": srv.URL + "/typed/text", "outPath": "out.txt"},
		existing: map[string]string{"out.txt": "old"},
		want:     failedWith(`file already exists at "out.txt"`, "allowOverwrite"),
		files:    map[string]string{"out.txt": "old"},
	}, {
		name:     "existing identical file: the step ran before",
		cfg:      map[string]any{"url": srv.URL + "/typed/text", "outPath": "out.txt"},
		existing: map[string]string{"out.txt": "plain words"},
		want:     ok,
		files:    map[string]string{"out.txt": "plain words"},
	}, {
		name:     "existing file with allowOverwrite",
		cfg:      map[string]any{"url": srv.URL + "/typed/text", "outPath": "out.txt", "allowOverwrite": true},
		existing: map[string]string{"out.txt": "old"},
		want:     ok,
		files:    map[string]string{"out.txt": "plain words"},
	}, {
		name:     "outPath is a directory",
		cfg:      map[string]any{"url": srv.URL + "/typed/text", "outPath": "dir", "allowOverwrite": true},
		existing: map[string]string{"dir/keep": "k"},
		want:     failedWith(`outPath "dir" is a directory`),
	}, {
		name:  "5xx is retried and writes nothing",
		cfg:   map[string]any{"url": srv.URL + "/status/502", "outPath": "out.txt"},
		want:  erroredWith("download failed: HTTP (502) response"),
		files: map[string]string{"out.txt": ""},
	}, {
		name:  "slow server ends at the step's timeout",
		cfg:   map[string]any{"url": srv.URL + "/slow", "outPath": "out.txt", "timeout": "200ms"},
		want:  erroredWith("request to " + srv.URL + "/slow"),
		files: map[string]string{"out.txt": ""},
	}, {
		name:  "body cut off by the timeout leaves no partial file",
		cfg:   map[string]any{"url": srv.URL + "/slow-body", "outPath": "out.txt", "timeout": "200ms"},
		want:  erroredWith("reading body", "deadline exceeded"),
		files: map[string]string{"out.txt": ""},
	}, {
		name:  "oversized by Content-Length",
		cfg:   map[string]any{"url": srv.URL + "/big?length=1&n=" + strconv.Itoa(MaxDownloadBytes+1), "outPath": "big"},
		want:  failedWith("exceeds the size limit of 104857600 bytes"),
		files: map[string]string{"big": ""},
	}, {
		name:  "path leaving the work directory",
		cfg:   map[string]any{"url": srv.URL + "/typed/text", "outPath": "../escape.txt"},
		want:  failedWith("escape"),
		files: map[string]string{"../escape.txt": ""},
	}, {
		name: "missing outPath",
		cfg:  map[string]any{"url": srv.URL + "/typed/text"},
		want: failedWith(`field "outPath" is required`),
	}, {
		name: "bad url",
		cfg:  map[string]any{"url": "not a url", "outPath": "x"},
		want: failedWith(`field "url"`),
	}, {
		name: "bad timeout",
		cfg:  map[string]any{"url": srv.URL + "/typed/text", "outPath": "x", "timeout": "5"},
		want: failedWith(`field "timeout"`),
	}, {
		name: "unknown field",
		cfg:  map[string]any{"url": srv.URL + "/typed/text", "outPath": "x", "method": "POST"},
		want: failedWith(`unknown field "method"`),
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := stepContext(t, tc.cfg)
			sc.WorkDir = filepath.Join(sc.WorkDir, "work")
			writeFiles(t, sc.WorkDir, tc.existing)
			res, err := runStep(t, &HTTPDownload{}, sc)
			t.Logf("message: %s", res.Message)
			tc.want.check(t, res, err)
			checkFiles(t, sc.WorkDir, tc.files)
		})
	}
}

// TestHTTPDownloadOversizedChunked streams one byte past the cap without
// announcing a length: the step must stop reading there.
func TestHTTPDownloadOversizedChunked(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 100 MiB; make test runs it, -short is for quick local loops")
	}
	srv := newAPIServer(t)
	sc := stepContext(t, map[string]any{"url": srv.URL + "/big?n=" + strconv.Itoa(MaxDownloadBytes+1), "outPath": "big"})
	res, err := runStep(t, &HTTPDownload{}, sc)
	failedWith("exceeds the size limit").check(t, res, err)
	checkFiles(t, sc.WorkDir, map[string]string{"big": ""})
	entries, _ := os.ReadDir(sc.WorkDir)
	if len(entries) != 0 {
		t.Errorf("left %d entries behind, e.g. %s", len(entries), entries[0].Name())
	}
}

// TestHTTPDownloadThroughLink: a symbolic link leading out of the work
// directory is refused, and nothing is written where it points.
func TestHTTPDownloadThroughLink(t *testing.T) {
	srv := newAPIServer(t)
	outside := t.TempDir()
	sc := stepContext(t, map[string]any{"url": srv.URL + "/typed/text", "outPath": "link/out.txt"})
	if err := os.Symlink(outside, filepath.Join(sc.WorkDir, "link")); err != nil {
		t.Fatal(err)
	}
	res, err := runStep(t, &HTTPDownload{}, sc)
	failedWith("link/out.txt").check(t, res, err)
	if !errorsIsEscape(err) {
		t.Errorf("error %v does not wrap ErrPathEscapes", err)
	}
	if _, err := os.Stat(filepath.Join(outside, "out.txt")); err == nil {
		t.Error("wrote outside the work directory")
	}
}

func errorsIsEscape(err error) bool {
	return err != nil && strings.Contains(err.Error(), workdir.ErrPathEscapes.Error())
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkFiles compares files below dir; "" means the file must not exist.
func checkFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		switch {
		case want == "" && err == nil:
			t.Errorf("%s exists, want it absent", name)
		case want == "":
		case err != nil:
			t.Errorf("%s: %v", name, err)
		case string(got) != want:
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}
