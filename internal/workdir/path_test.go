package workdir

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecureJoin(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "work")
	for _, d := range []string{"work/a/b", "outside"} {
		if err := os.MkdirAll(filepath.Join(base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{
		"work/in":       "a/b",                          // directory inside
		"work/abs":      filepath.Join(root, "a"),       // absolute, inside
		"work/chain1":   "chain2",                       // chain out
		"work/chain2":   "../outside",                   //
		"work/a/up":     "../../outside",                // mid-path, out
		"work/dangle":   "a/new",                        // dangling, inside
		"work/dangleup": filepath.Join(base, "out/new"), // dangling, out
		"work/loop1":    "loop2",                        //
		"work/loop2":    "loop1",                        //
	} {
		if err := os.Symlink(target, filepath.Join(base, link)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		rel     string
		want    string // relative to root; empty when refused
		escapes bool
	}{
		{rel: ".", want: "."},
		{rel: "a/b/c.yaml", want: "a/b/c.yaml"},
		{rel: "in/c.yaml", want: "a/b/c.yaml"},
		{rel: "abs/b", want: "a/b"},
		{rel: "dangle/x", want: "a/new/x"},
		{rel: "a/b/../../in", want: "a/b"},
		{rel: "../work/a", escapes: true},
		{rel: "/etc/passwd", escapes: true},
		{rel: "chain1/x", escapes: true},
		{rel: "a/up/x", escapes: true},
		{rel: "in/../../outside", escapes: true},
		{rel: "dangleup", escapes: true},
		{rel: "loop1/x"},
	}
	for _, tc := range tests {
		got, err := SecureJoin(root, tc.rel)
		switch {
		case tc.want != "":
			if err != nil || got != filepath.Join(root, tc.want) {
				t.Errorf("SecureJoin(%q) = %q, %v; want %s", tc.rel, got, err, tc.want)
			}
		case err == nil:
			t.Errorf("SecureJoin(%q) = %q, want an error", tc.rel, got)
		case !IsRefused(err) || errors.Is(err, ErrPathEscapes) != tc.escapes || strings.Contains(err.Error(), base):
			t.Errorf("SecureJoin(%q): error %v: want terminal, escapes=%v, no work directory", tc.rel, err, tc.escapes)
		}
	}
}
