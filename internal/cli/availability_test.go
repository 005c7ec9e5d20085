package cli

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestAvailableTo(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *metav1.Time { t := metav1.NewTime(now.Add(-d)); return &t }
	origin := railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "w"}
	stage := func(src railyard.FreightSources) *railyard.Stage {
		return &railyard.Stage{
			ObjectMeta: metav1.ObjectMeta{Name: "prod"},
			Spec:       railyard.StageSpec{RequestedFreight: []railyard.FreightRequest{{Origin: origin, Sources: src}}},
		}
	}
	verified := func(stages ...string) map[string]railyard.VerifiedStage {
		m := map[string]railyard.VerifiedStage{}
		for _, s := range stages {
			m[s] = railyard.VerifiedStage{VerifiedAt: at(0)}
		}
		return m
	}
	hour := &metav1.Duration{Duration: time.Hour}
	tests := []struct {
		name    string
		src     railyard.FreightSources
		status  railyard.FreightStatus
		origin  string
		reject  string
		wantErr string
	}{
		{name: "direct", src: railyard.FreightSources{Direct: true}},
		{name: "verified upstream", src: railyard.FreightSources{Stages: []string{"a"}}, status: railyard.FreightStatus{VerifiedIn: verified("a")}},
		{name: "not verified", src: railyard.FreightSources{Stages: []string{"a"}}, wantErr: "it is not verified in stage a; promote it upstream first"},
		{name: "approved", src: railyard.FreightSources{Stages: []string{"a"}}, status: railyard.FreightStatus{ApprovedFor: map[string]railyard.ApprovedStage{"prod": {}}}},
		{name: "one of two", src: railyard.FreightSources{Stages: []string{"a", "b"}}, status: railyard.FreightStatus{VerifiedIn: verified("b")}},
		{name: "all of two", src: railyard.FreightSources{Stages: []string{"a", "b"}, AvailabilityStrategy: railyard.AvailabilityStrategyAll},
			status: railyard.FreightStatus{VerifiedIn: verified("b")}, wantErr: "verified in all of a, b: it is not verified in stage a"},
		{name: "soaking", src: railyard.FreightSources{Stages: []string{"a"}, RequiredSoakTime: hour},
			status:  railyard.FreightStatus{VerifiedIn: verified("a"), CurrentlyIn: map[string]railyard.CurrentStage{"a": {Since: at(10 * time.Minute)}}},
			wantErr: "it has soaked 10m0s of the required 1h0m0s in stage a"},
		{name: "soaked", src: railyard.FreightSources{Stages: []string{"a"}, RequiredSoakTime: hour},
			status: railyard.FreightStatus{VerifiedIn: map[string]railyard.VerifiedStage{"a": {LongestCompletedSoak: &metav1.Duration{Duration: 2 * time.Hour}}}}},
		{name: "other origin", src: railyard.FreightSources{Direct: true}, origin: "x", wantErr: "requests Freight only from: w"},
		// The controllers' rule (freight.IsAvailable) decides: Freight the
		// checker rejected is available nowhere, even where it is direct.
		{name: "rejected", src: railyard.FreightSources{Direct: true}, reject: "no such tag", wantErr: "was rejected: no such tag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &railyard.Freight{ObjectMeta: metav1.ObjectMeta{Name: "f1"}, Origin: origin, Status: tt.status}
			if tt.origin != "" {
				f.Origin.Name = tt.origin
			}
			if tt.reject != "" {
				f.Annotations = map[string]string{railyard.AnnotationRejected: tt.reject}
			}
			err := availableTo(stage(tt.src), f, now)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}
