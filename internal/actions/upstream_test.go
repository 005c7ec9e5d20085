package actions

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestPickUpstream(t *testing.T) {
	verifiedIn := func(f railyard.Freight, stages ...string) railyard.Freight {
		f.Status.VerifiedIn = map[string]railyard.VerifiedStage{}
		for _, s := range stages {
			f.Status.VerifiedIn[s] = railyard.VerifiedStage{VerifiedAt: &metav1.Time{Time: t0}}
		}
		return f
	}
	in := func(f railyard.Freight, stage string) railyard.Freight {
		f.Status.CurrentlyIn = map[string]railyard.CurrentStage{stage: {Since: &metav1.Time{Time: t0}}}
		return f
	}
	rejected := fr("rejected", "", t0.Add(9*time.Hour))
	rejected.Annotations = map[string]string{railyard.AnnotationRejected: "broken"}
	otherOrigin := fr("elsewhere", "", t0.Add(8*time.Hour))
	otherOrigin.Origin.Name = "other"
	old, mid, young := fr("old", "", t0), fr("mid", "", t0.Add(time.Hour)), fr("young", "", t0.Add(2*time.Hour))
	for _, tc := range []struct {
		name    string
		stage   railyard.Stage
		fs      []railyard.Freight
		want    string
		wantErr string
	}{
		{"fed directly: the newest", stage("test"), []railyard.Freight{old, young, mid, rejected, otherOrigin}, "young", ""},
		{"one upstream: what it runs, not the newest verified", stage("prod", "staging"),
			[]railyard.Freight{in(verifiedIn(old, "staging"), "staging"), verifiedIn(young, "staging")}, "old", ""},
		{"one upstream: running there but not verified", stage("prod", "staging"),
			[]railyard.Freight{in(old, "staging")}, "", "running in stage staging and verified there"},
		{"several upstreams: the newest verified in any", stage("prod", "eu", "us"),
			[]railyard.Freight{verifiedIn(old, "eu"), verifiedIn(mid, "us"), young}, "mid", ""},
		{"nothing available", stage("staging", "test"), []railyard.Freight{young}, "", "no Freight from warehouse app is available to stage staging"},
		{"fed directly, nothing made yet", stage("test"), nil, "", "created by the Warehouse"},
		{"a Stage not fed by the Warehouse", func() railyard.Stage { s := stage("x"); s.Spec.RequestedFreight[0].Origin.Name = "other"; return s }(),
			[]railyard.Freight{young}, "", "does not request Freight from warehouse app"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := PickUpstream(&tc.stage, origin, tc.fs, t0.Add(24*time.Hour))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.Name != tc.want {
				t.Errorf("picked %s, want %s", f.Name, tc.want)
			}
		})
	}
}

func TestUpstreamPick(t *testing.T) {
	for _, tc := range []struct {
		stage railyard.Stage
		want  string
	}{
		{stage("prod", "staging"), "what stage staging runs"},
		{stage("test"), "the newest available from warehouse app"},
		{stage("prod", "eu", "us"), "the newest available from warehouse app"},
	} {
		if got := UpstreamPick(&tc.stage, origin); got != tc.want {
			t.Errorf("UpstreamPick(%s) = %q, want %q", tc.stage.Name, got, tc.want)
		}
	}
}

func TestRequestFor(t *testing.T) {
	st := stage("test")
	if RequestFor(&st, origin) == nil {
		t.Error("no request for the Warehouse the Stage names")
	}
	if RequestFor(&st, railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "other"}) != nil {
		t.Error("a request for a Warehouse the Stage does not name")
	}
}
