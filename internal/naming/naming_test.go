package naming

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func TestLabelValue(t *testing.T) {
	long := strings.Repeat("a", 62) + "-b" // truncation at 63 ends in '-'
	tests := []struct {
		name, in string
		same     bool
	}{
		{"short name kept", "test", true},
		{"dotted name kept", "eu.prod", true},
		{"63 characters kept", strings.Repeat("x", 63), true},
		{"64 characters shortened", strings.Repeat("x", 64), false},
		{"truncation ending in a dash", long, false},
		{"truncation ending in a dot", strings.Repeat("a", 62) + ".b", false},
		{"empty", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := LabelValue(tc.in)
			if errs := validation.IsValidLabelValue(got); len(errs) > 0 {
				t.Fatalf("LabelValue(%q) = %q, invalid: %v", tc.in, got, errs)
			}
			if (got == tc.in) != tc.same {
				t.Fatalf("LabelValue(%q) = %q; kept unchanged = %v, want %v", tc.in, got, got == tc.in, tc.same)
			}
		})
	}
	// Two names sharing their first 63 characters get different values.
	a, b := LabelValue(strings.Repeat("s", 70)+"a"), LabelValue(strings.Repeat("s", 70)+"b")
	if a == b {
		t.Fatalf("different Stage names share the label value %q", a)
	}
}

func TestPromotionName(t *testing.T) {
	long := strings.Repeat("a", 219) + "-" + strings.Repeat("b", 33)
	tests := []struct {
		name, stage, freight, prefix string
	}{
		{"Freight suffix", "test", "0123456789abcdef", "test."},
		{"no Freight", "staging", "", "staging."},
		{"Freight prefix ending in a dash", "test", "abcdef-ghij", "test."},
		{"longest Stage name", long, "0123456789", "aaaa"},
		{"dotted Stage name", "eu.prod", "0123456", "eu.prod."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := PromotionName(tc.stage, tc.freight, t0)
			if errs := validation.IsDNS1123Subdomain(got); len(errs) > 0 {
				t.Fatalf("PromotionName(%q, %q) = %q, invalid: %v", tc.stage, tc.freight, got, errs)
			}
			if !strings.HasPrefix(got, tc.prefix) {
				t.Fatalf("PromotionName(%q, %q) = %q, want prefix %q", tc.stage, tc.freight, got, tc.prefix)
			}
		})
	}
	// Later names sort after earlier ones within a Stage.
	a, b := PromotionName("test", "f", t0), PromotionName("test", "f", t0.Add(time.Millisecond))
	if a >= b || a == PromotionName("test", "f", t0) {
		t.Fatalf("names are not unique and ordered: %q, %q", a, b)
	}
}

// FuzzNames checks that every legal Stage name (and any Freight name) gives
// a legal Promotion name and label value.
func FuzzNames(f *testing.F) {
	for _, seed := range []string{"test", "prod", strings.Repeat("a", 62) + "-b", strings.Repeat("x", 253), "a.b-c", "0"} {
		f.Add(seed, "0123456789abcdef")
	}
	f.Fuzz(func(t *testing.T, stage, freight string) {
		if v := LabelValue(stage); len(validation.IsValidLabelValue(v)) > 0 {
			t.Fatalf("LabelValue(%q) = %q is not a valid label value", stage, v)
		}
		if len(validation.IsDNS1123Subdomain(stage)) > 0 || len(validation.IsDNS1123Subdomain(freight)) > 0 {
			return // not a name the API server would accept
		}
		if n := PromotionName(stage, freight, t0); len(validation.IsDNS1123Subdomain(n)) > 0 {
			t.Fatalf("PromotionName(%q, %q) = %q is not a valid name", stage, freight, n)
		}
	})
}
