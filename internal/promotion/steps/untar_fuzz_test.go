package steps

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/workdir"
)

// FuzzUntar extracts arbitrary bytes as an archive. The step may succeed
// or fail, but never panics, fails without saying so, or puts anything
// outside the work directory; whatever it extracted resolves inside it.
func FuzzUntar(f *testing.F) {
	t := &testing.T{}
	for _, seed := range [][]byte{
		makeTar(t, true, chartEntries...),
		makeTar(t, false, file("a", "1"), symlinkEntry("l", "a"), hardlinkEntry("h", "a")),
		makeTar(t, false, symlinkEntry("d/b", ".."), symlinkEntry("d/a", "b/../../x")),
		makeTar(t, true, file("../x", "1")),
		{0x1f, 0x8b},
		nil,
	} {
		f.Add(seed, uint8(0))
	}
	f.Fuzz(func(t *testing.T, archive []byte, strip uint8) {
		s := newOutsideDir(t)
		dir := t.TempDir()
		writeArchive(t, dir, "a.tgz", archive)
		s.linkOut(t, dir)
		step := Untar{MaxBytes: 1 << 20, MaxEntries: 200}
		cfg := map[string]any{"inPath": "a.tgz", "outPath": "out/x", "stripComponents": int(strip % 4)}
		res, err := step.Run(context.Background(), stepContext(dir, cfg))
		switch {
		case err == nil && res.Status != railyard.StepStatusSucceeded:
			t.Fatalf("no error, status %s", res.Status)
		case err != nil && res.Message == "":
			t.Fatalf("error %v without a message", err)
		}
		s.check(t)
		if err != nil {
			return
		}
		root, rerr := workdir.OpenRoot(dir)
		if rerr != nil {
			t.Fatal(rerr)
		}
		defer func() { _ = root.Close() }()
		if cerr := root.CheckTree("out"); cerr != nil {
			t.Fatalf("extracted tree leads outside: %v", cerr)
		}
		_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && strings.HasPrefix(d.Name(), ".untar-") {
				t.Errorf("temporary directory left: %s", p)
			}
			return nil
		})
	})
}
