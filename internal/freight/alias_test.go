package freight

import (
	"regexp"
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestAlias(t *testing.T) {
	label := regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	id := "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name    string
		a, b    string
		wantSam bool
	}{
		{name: "deterministic", a: Alias(id, 0), b: Alias(id, 0), wantSam: true},
		{name: "attempts differ", a: Alias(id, 0), b: Alias(id, 1), wantSam: false},
		{name: "ids differ", a: Alias(id, 0), b: Alias("ffffffffffffffffffffffffffffffffffffffff", 0), wantSam: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if (tt.a == tt.b) != tt.wantSam {
				t.Fatalf("Alias %q vs %q: same=%t, want %t", tt.a, tt.b, tt.a == tt.b, tt.wantSam)
			}
		})
	}
	cands := AliasCandidates(id)
	seen := map[string]bool{}
	for _, c := range cands {
		if len(c) > 63 || !label.MatchString(c) {
			t.Errorf("candidate %q is not a valid label value", c)
		}
		seen[c] = true
	}
	if len(seen) < 3 {
		t.Errorf("candidates %v are mostly duplicates", cands)
	}
	if last := cands[len(cands)-1]; last != Alias(id, 0)+"-0123456789ab" {
		t.Errorf("fallback candidate = %q", last)
	}
}

func TestAliasOf(t *testing.T) {
	tests := []struct {
		name string
		f    railyard.Freight
		want string
	}{
		{name: "field first", f: railyard.Freight{Alias: "a", ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{railyard.LabelAlias: "b", railyard.LabelKargoAlias: "c"}}}, want: "a"},
		{name: "Railyard label", f: railyard.Freight{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{railyard.LabelAlias: "b", railyard.LabelKargoAlias: "c"}}}, want: "b"},
		{name: "Kargo label", f: railyard.Freight{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{railyard.LabelKargoAlias: "c"}}}, want: "c"},
		{name: "none", f: railyard.Freight{}, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AliasOf(&tt.f); got != tt.want {
				t.Errorf("AliasOf = %q, want %q", got, tt.want)
			}
		})
	}
}
