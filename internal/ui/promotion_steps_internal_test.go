package ui

import (
	"fmt"
	"reflect"
	"testing"
)

func TestBound(t *testing.T) {
	for _, tc := range []struct {
		in    string
		n     int
		want  string
		short bool
	}{
		{"abc", 3, "abc", false},
		{"abcd", 3, "abc", true},
		{"aé", 2, "a", true}, // é is two bytes: never cut in half
		{"", 0, "", false},
	} {
		got, short := bound(tc.in, tc.n)
		if got != tc.want || short != tc.short {
			t.Errorf("bound(%q, %d) = %q, %v; want %q, %v", tc.in, tc.n, got, short, tc.want, tc.short)
		}
	}
}

func TestOutputsOf(t *testing.T) {
	out := map[string]any{"diff": "not here", "b": 2, "a": "x", "c": map[string]any{"k": []any{1}}}
	want := []output{{Key: "a", Value: "x"}, {Key: "b", Value: "2"}, {Key: "c", Value: `{"k":[1]}`}}
	if got := outputsOf(out); !reflect.DeepEqual(got, want) {
		t.Errorf("outputsOf: %+v", got)
	}
	many := map[string]any{}
	for i := range maxOutputs + 5 {
		many[fmt.Sprintf("k%03d", i)] = i
	}
	got := outputsOf(many)
	if len(got) != maxOutputs+1 || got[maxOutputs].Value != "5 more outputs not shown" {
		t.Errorf("%d outputs, last %+v", len(got), got[len(got)-1])
	}
}

func TestDiffLines(t *testing.T) {
	got := diffLines("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n+new\n same\n")
	want := []diffLine{{"file", "diff --git a/x b/x"}, {"file", "--- a/x"}, {"file", "+++ b/x"}, {"hunk", "@@ -1 +1 @@"},
		{"del", "-old"}, {"add", "+new"}, {"", " same"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("diffLines: %+v", got)
	}
}
