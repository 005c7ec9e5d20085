package cli

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestPickUpstream(t *testing.T) {
	origin := railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "titiler"}
	day := func(d int) *metav1.Time { return &metav1.Time{Time: time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC)} }
	fr := func(name string, discovered *metav1.Time, verified, current bool) railyard.Freight {
		f := railyard.Freight{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: *day(9)}, Origin: origin, DiscoveredAt: discovered}
		if verified {
			f.Status.VerifiedIn = map[string]railyard.VerifiedStage{"test": {}}
		}
		if current {
			f.Status.CurrentlyIn = map[string]railyard.CurrentStage{"test": {}}
		}
		return f
	}
	// stage is fed by test alone, or by test and qa.
	stage := func(ups ...string) *railyard.Stage {
		src := railyard.FreightSources{Stages: ups}
		return &railyard.Stage{ObjectMeta: metav1.ObjectMeta{Name: "staging"},
			Spec: railyard.StageSpec{RequestedFreight: []railyard.FreightRequest{{Origin: origin, Sources: src}}}}
	}
	one, two := stage("test"), stage("test", "qa")
	tests := []struct {
		name    string
		stage   *railyard.Stage
		freight []railyard.Freight
		want    string
	}{
		{"one upstream: what it runs, not the newest", one, []railyard.Freight{fr("aaa", day(2), true, false), fr("bbb", day(1), true, true)}, "bbb"},
		{"one upstream: what it runs must be verified there", one, []railyard.Freight{fr("aaa", day(2), true, false), fr("bbb", day(1), false, true)}, ""},
		{"several upstreams: newest discovered wins over newest created", two, []railyard.Freight{fr("aaa", day(2), true, false), fr("bbb", day(1), true, true)}, "aaa"},
		{"several upstreams: unverified is not available", two, []railyard.Freight{fr("aaa", day(3), false, false), fr("bbb", day(1), true, false)}, "bbb"},
		{"several upstreams: no discovery time means creation time", two, []railyard.Freight{fr("aaa", nil, true, false), fr("bbb", day(1), true, false)}, "aaa"},
		{"several upstreams: same time, greater name, as Kargo", two, []railyard.Freight{fr("aaa", day(1), true, false), fr("bbb", day(1), true, false)}, "bbb"},
		{"nothing available", two, []railyard.Freight{fr("aaa", day(2), false, false)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pickUpstream(tt.stage, origin, tt.freight, time.Now())
			if tt.want == "" {
				if err == nil {
					t.Fatalf("picked %s, want an error", got.Name)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != tt.want {
				t.Errorf("picked %s, want %s", got.Name, tt.want)
			}
		})
	}
}
