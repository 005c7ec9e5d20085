package freight

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

var (
	availNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	appWH    = railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "app"}
	otherWH  = railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "other"}
)

func stageWith(name string, src railyard.FreightSources) *railyard.Stage {
	return &railyard.Stage{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "demo"},
		Spec: railyard.StageSpec{RequestedFreight: []railyard.FreightRequest{
			{Origin: otherWH, Sources: railyard.FreightSources{Direct: true}},
			{Origin: appWH, Sources: src},
		}},
	}
}

func ago(d time.Duration) *metav1.Time { t := metav1.NewTime(availNow.Add(-d)); return &t }

func soak(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }

func TestIsAvailable(t *testing.T) {
	upstream := railyard.FreightSources{Stages: []string{"test"}}
	soaked := railyard.FreightSources{Stages: []string{"staging"}, RequiredSoakTime: soak(time.Hour)}
	twoUp := railyard.FreightSources{Stages: []string{"a", "b"}}
	twoUpAll := railyard.FreightSources{Stages: []string{"a", "b"}, AvailabilityStrategy: railyard.AvailabilityStrategyAll}
	verified := func(stages ...string) map[string]railyard.VerifiedStage {
		m := map[string]railyard.VerifiedStage{}
		for _, s := range stages {
			m[s] = railyard.VerifiedStage{VerifiedAt: ago(2 * time.Hour)}
		}
		return m
	}

	tests := []struct {
		name       string
		origin     railyard.FreightOrigin
		namespace  string
		status     railyard.FreightStatus
		stage      *railyard.Stage
		want       bool
		wantReason string
	}{
		{
			name:       "origin not requested",
			origin:     railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "x"},
			stage:      stageWith("prod", upstream),
			wantReason: "origin Warehouse/x is not requested by Stage prod",
		},
		{
			name:       "other namespace",
			origin:     appWH,
			namespace:  "elsewhere",
			stage:      stageWith("prod", railyard.FreightSources{Direct: true}),
			wantReason: "Freight f is in namespace elsewhere, Stage prod in demo",
		},
		{
			name:       "direct",
			origin:     otherWH,
			stage:      stageWith("prod", upstream),
			want:       true,
			wantReason: "Stage prod takes Warehouse/other directly",
		},
		{
			name:       "not verified upstream",
			origin:     appWH,
			stage:      stageWith("staging", upstream),
			wantReason: "not verified in upstream Stage test",
		},
		{
			name:       "verified in a stage that is not upstream",
			origin:     appWH,
			status:     railyard.FreightStatus{VerifiedIn: verified("other")},
			stage:      stageWith("staging", upstream),
			wantReason: "not verified in upstream Stage test",
		},
		{
			name:       "verified upstream",
			origin:     appWH,
			status:     railyard.FreightStatus{VerifiedIn: verified("test")},
			stage:      stageWith("staging", upstream),
			want:       true,
			wantReason: "verified in upstream Stage test",
		},
		{
			name:       "approved bypasses verification and soak",
			origin:     appWH,
			status:     railyard.FreightStatus{ApprovedFor: map[string]railyard.ApprovedStage{"prod": {ApprovedAt: ago(time.Minute)}}},
			stage:      stageWith("prod", soaked),
			want:       true,
			wantReason: "approved for Stage prod",
		},
		{
			name:   "approved for another stage does not count",
			origin: appWH,
			status: railyard.FreightStatus{ApprovedFor: map[string]railyard.ApprovedStage{"staging": {}}},
			stage:  stageWith("prod", soaked), wantReason: "not verified in upstream Stage staging",
		},
		{
			name:   "still soaking in upstream",
			origin: appWH,
			status: railyard.FreightStatus{
				VerifiedIn:  verified("staging"),
				CurrentlyIn: map[string]railyard.CurrentStage{"staging": {Since: ago(10 * time.Minute)}},
			},
			stage:      stageWith("prod", soaked),
			wantReason: "soaked 10m of 1h in staging",
		},
		{
			name:   "soaked by ongoing stay",
			origin: appWH,
			status: railyard.FreightStatus{
				VerifiedIn:  verified("staging"),
				CurrentlyIn: map[string]railyard.CurrentStage{"staging": {Since: ago(61 * time.Minute)}},
			},
			stage:      stageWith("prod", soaked),
			want:       true,
			wantReason: "verified in upstream Stage staging",
		},
		{
			// Arrived 70 minutes ago, its analysis took 40: the soak
			// clock starts with the verification.
			name:   "soak counts from the verification, not the arrival",
			origin: appWH,
			status: railyard.FreightStatus{
				VerifiedIn:  map[string]railyard.VerifiedStage{"staging": {VerifiedAt: ago(30 * time.Minute)}},
				CurrentlyIn: map[string]railyard.CurrentStage{"staging": {Since: ago(70 * time.Minute)}},
			},
			stage:      stageWith("prod", soaked),
			wantReason: "soaked 30m of 1h in staging",
		},
		{
			name:   "soaked by an earlier completed stay",
			origin: appWH,
			status: railyard.FreightStatus{
				VerifiedIn: map[string]railyard.VerifiedStage{"staging": {LongestCompletedSoak: soak(90 * time.Minute)}},
				// Back again for a short while: the longer earlier stay counts.
				CurrentlyIn: map[string]railyard.CurrentStage{"staging": {Since: ago(time.Minute)}},
			},
			stage: stageWith("prod", soaked),
			want:  true, wantReason: "verified in upstream Stage staging",
		},
		{
			name:   "left upstream before soaking long enough",
			origin: appWH,
			status: railyard.FreightStatus{
				VerifiedIn: map[string]railyard.VerifiedStage{"staging": {LongestCompletedSoak: soak(90 * time.Second)}},
			},
			stage:      stageWith("prod", soaked),
			wantReason: "soaked 1m30s of 1h in staging",
		},
		{
			name:       "one of two upstreams suffices",
			origin:     appWH,
			status:     railyard.FreightStatus{VerifiedIn: verified("b")},
			stage:      stageWith("c", twoUp),
			want:       true,
			wantReason: "verified in upstream Stage b",
		},
		{
			name:       "none of two upstreams",
			origin:     appWH,
			stage:      stageWith("c", twoUp),
			wantReason: "not verified in upstream Stage a; not verified in upstream Stage b",
		},
		{
			name:       "all upstreams required, one missing",
			origin:     appWH,
			status:     railyard.FreightStatus{VerifiedIn: verified("a")},
			stage:      stageWith("c", twoUpAll),
			wantReason: "not verified in upstream Stage b",
		},
		{
			name:       "all upstreams required and verified",
			origin:     appWH,
			status:     railyard.FreightStatus{VerifiedIn: verified("a", "b")},
			stage:      stageWith("c", twoUpAll),
			want:       true,
			wantReason: "verified in every upstream Stage",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &railyard.Freight{
				ObjectMeta: metav1.ObjectMeta{Name: "f", Namespace: "demo"},
				Origin:     tt.origin,
				Status:     tt.status,
			}
			if tt.namespace != "" {
				f.Namespace = tt.namespace
			}
			got, reason := IsAvailable(f, tt.stage, availNow)
			if got != tt.want || reason != tt.wantReason {
				t.Errorf("IsAvailable = %t, %q; want %t, %q", got, reason, tt.want, tt.wantReason)
			}
		})
	}
}

func TestIsAvailableNil(t *testing.T) {
	if ok, reason := IsAvailable(nil, nil, availNow); ok || reason == "" {
		t.Errorf("IsAvailable(nil, nil) = %t, %q; want false with a reason", ok, reason)
	}
}

func TestSoakRemaining(t *testing.T) {
	twoUpSoak := railyard.FreightSources{Stages: []string{"a", "b"}, RequiredSoakTime: soak(time.Hour)}
	tests := []struct {
		name   string
		stage  *railyard.Stage
		status railyard.FreightStatus
		want   time.Duration
	}{
		{name: "no soak required", stage: stageWith("c", railyard.FreightSources{Stages: []string{"a"}})},
		{name: "not verified anywhere", stage: stageWith("c", twoUpSoak)},
		{
			name:  "verified but gone: waiting cannot help",
			stage: stageWith("c", twoUpSoak),
			status: railyard.FreightStatus{
				VerifiedIn: map[string]railyard.VerifiedStage{"a": {LongestCompletedSoak: soak(time.Minute)}},
			},
		},
		{
			name:  "shortest wait over upstreams",
			stage: stageWith("c", twoUpSoak),
			status: railyard.FreightStatus{
				VerifiedIn: map[string]railyard.VerifiedStage{"a": {}, "b": {}},
				CurrentlyIn: map[string]railyard.CurrentStage{
					"a": {Since: ago(10 * time.Minute)},
					"b": {Since: ago(40 * time.Minute)},
				},
			},
			want: 20 * time.Minute,
		},
		{
			name:  "verified after arriving: the wait counts from the verification",
			stage: stageWith("c", railyard.FreightSources{Stages: []string{"a"}, RequiredSoakTime: soak(time.Hour)}),
			status: railyard.FreightStatus{
				VerifiedIn:  map[string]railyard.VerifiedStage{"a": {VerifiedAt: ago(10 * time.Minute)}},
				CurrentlyIn: map[string]railyard.CurrentStage{"a": {Since: ago(40 * time.Minute)}},
			},
			want: 50 * time.Minute,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &railyard.Freight{Origin: appWH, Status: tt.status}
			if got := SoakRemaining(f, tt.stage, availNow); got != tt.want {
				t.Errorf("SoakRemaining = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                     "0s",
		45 * time.Second:                      "45s",
		10 * time.Minute:                      "10m",
		time.Hour:                             "1h",
		90 * time.Minute:                      "1h30m",
		time.Hour + 5*time.Second:             "1h0m5s",
		10*time.Minute + 999*time.Millisecond: "10m",
	} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestRejectedFreightIsNeverAvailable(t *testing.T) {
	f := &railyard.Freight{Origin: appWH}
	f.Name = "f"
	f.Annotations = map[string]string{railyard.AnnotationRejected: "has no image for subscription r/a"}
	f.Status.ApprovedFor = map[string]railyard.ApprovedStage{"test": {}}
	ok, reason := IsAvailable(f, stageWith("test", railyard.FreightSources{Direct: true}), availNow)
	if ok || !strings.Contains(reason, "was rejected: has no image for subscription r/a") {
		t.Errorf("IsAvailable = %t, %q; want false naming the rejection", ok, reason)
	}
}
