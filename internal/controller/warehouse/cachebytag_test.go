package warehouse

import (
	"errors"
	"testing"
)

func TestCacheByTagPolicy(t *testing.T) {
	cases := []struct {
		policy    string
		requested bool
		want      bool
		invalid   bool
	}{
		{policy: "", requested: false, want: false},
		{policy: "", requested: true, want: true},
		{policy: "Allow", requested: true, want: true},
		{policy: "Forbid", requested: true, want: false},
		{policy: "Force", requested: false, want: true},
		{policy: "Require", requested: true, want: true},
		{policy: "Require", requested: false, invalid: true},
	}
	for _, c := range cases {
		p, err := ParseCacheByTagPolicy(c.policy)
		if err != nil {
			t.Fatalf("%q: %v", c.policy, err)
		}
		got, err := p.cacheByTag(c.requested)
		if c.invalid {
			if !errors.Is(err, errInvalidSpec) {
				t.Errorf("%s/%v: error %v, want an invalid-spec error", c.policy, c.requested, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s/%v = %v, %v; want %v", c.policy, c.requested, got, err, c.want)
		}
	}
	if _, err := ParseCacheByTagPolicy("Sometimes"); err == nil {
		t.Error("an unknown policy was accepted")
	}
}
