package freight

import (
	"reflect"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

var statusT0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// at is a time d after statusT0.
func at(d time.Duration) *metav1.Time {
	t := metav1.NewTime(statusT0.Add(d))
	return &t
}

func soaked(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }

func TestAddCurrentStage(t *testing.T) {
	tests := map[string]struct {
		in          map[string]railyard.CurrentStage
		wantArrived bool
		want        map[string]railyard.CurrentStage
	}{
		"first Stage": {
			wantArrived: true,
			want:        map[string]railyard.CurrentStage{"test": {Since: at(time.Hour)}},
		},
		"another Stage besides": {
			in:          map[string]railyard.CurrentStage{"dev": {Since: at(0)}},
			wantArrived: true,
			want:        map[string]railyard.CurrentStage{"dev": {Since: at(0)}, "test": {Since: at(time.Hour)}},
		},
		"already there: the arrival is kept": {
			in:   map[string]railyard.CurrentStage{"test": {Since: at(0)}},
			want: map[string]railyard.CurrentStage{"test": {Since: at(0)}},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f := &railyard.Freight{Status: railyard.FreightStatus{CurrentlyIn: tt.in}}
			if got := AddCurrentStage(f, "test", statusT0.Add(time.Hour)); got != tt.wantArrived {
				t.Errorf("arrived = %v, want %v", got, tt.wantArrived)
			}
			if !reflect.DeepEqual(f.Status.CurrentlyIn, tt.want) {
				t.Errorf("currentlyIn = %v, want %v", f.Status.CurrentlyIn, tt.want)
			}
		})
	}
}

func TestRemoveCurrentStage(t *testing.T) {
	left := time.Hour // every stay below ends an hour after statusT0
	tests := map[string]struct {
		status railyard.FreightStatus
		want   railyard.FreightStatus
	}{
		"not there: nothing changes": {
			status: railyard.FreightStatus{CurrentlyIn: map[string]railyard.CurrentStage{"dev": {Since: at(0)}}},
			want:   railyard.FreightStatus{CurrentlyIn: map[string]railyard.CurrentStage{"dev": {Since: at(0)}}},
		},
		"left before verification: no soak recorded": {
			status: railyard.FreightStatus{CurrentlyIn: map[string]railyard.CurrentStage{"test": {Since: at(0)}}},
			want:   railyard.FreightStatus{CurrentlyIn: map[string]railyard.CurrentStage{}},
		},
		"verified 10m after arriving: the soak starts then": {
			status: railyard.FreightStatus{
				CurrentlyIn: map[string]railyard.CurrentStage{"test": {Since: at(0)}},
				VerifiedIn:  map[string]railyard.VerifiedStage{"test": {VerifiedAt: at(10 * time.Minute)}},
			},
			want: railyard.FreightStatus{
				CurrentlyIn: map[string]railyard.CurrentStage{},
				VerifiedIn:  map[string]railyard.VerifiedStage{"test": {VerifiedAt: at(10 * time.Minute), LongestCompletedSoak: soaked(50 * time.Minute)}},
			},
		},
		"a shorter stay keeps the longer record": {
			status: railyard.FreightStatus{
				CurrentlyIn: map[string]railyard.CurrentStage{"test": {Since: at(59 * time.Minute)}},
				VerifiedIn:  map[string]railyard.VerifiedStage{"test": {VerifiedAt: at(0), LongestCompletedSoak: soaked(50 * time.Minute)}},
			},
			want: railyard.FreightStatus{
				CurrentlyIn: map[string]railyard.CurrentStage{},
				VerifiedIn:  map[string]railyard.VerifiedStage{"test": {VerifiedAt: at(0), LongestCompletedSoak: soaked(50 * time.Minute)}},
			},
		},
		"a longer stay replaces the record": {
			status: railyard.FreightStatus{
				CurrentlyIn: map[string]railyard.CurrentStage{"test": {Since: at(0)}},
				VerifiedIn:  map[string]railyard.VerifiedStage{"test": {VerifiedAt: at(0), LongestCompletedSoak: soaked(5 * time.Minute)}},
			},
			want: railyard.FreightStatus{
				CurrentlyIn: map[string]railyard.CurrentStage{},
				VerifiedIn:  map[string]railyard.VerifiedStage{"test": {VerifiedAt: at(0), LongestCompletedSoak: soaked(time.Hour)}},
			},
		},
		"a stay without an arrival time records no soak": {
			status: railyard.FreightStatus{
				CurrentlyIn: map[string]railyard.CurrentStage{"test": {}},
				VerifiedIn:  map[string]railyard.VerifiedStage{"test": {VerifiedAt: at(0)}},
			},
			want: railyard.FreightStatus{
				CurrentlyIn: map[string]railyard.CurrentStage{},
				VerifiedIn:  map[string]railyard.VerifiedStage{"test": {VerifiedAt: at(0)}},
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f := &railyard.Freight{Status: tt.status}
			RemoveCurrentStage(f, "test", statusT0.Add(left))
			if !reflect.DeepEqual(f.Status, tt.want) {
				t.Errorf("status = %+v\nwant     %+v", f.Status, tt.want)
			}
		})
	}
}

func TestMarkVerified(t *testing.T) {
	tests := map[string]struct {
		status railyard.FreightStatus
		at     time.Duration
		want   *metav1.Time // verifiedAt afterwards
	}{
		"first verification, not (or no longer) in the Stage": {
			at: 5 * time.Minute, want: at(5 * time.Minute),
		},
		"first verification of a stay": {
			status: railyard.FreightStatus{CurrentlyIn: map[string]railyard.CurrentStage{"test": {Since: at(0)}}},
			at:     5 * time.Minute, want: at(5 * time.Minute),
		},
		"a re-verification does not restart the soak clock": {
			status: railyard.FreightStatus{
				CurrentlyIn: map[string]railyard.CurrentStage{"test": {Since: at(0)}},
				VerifiedIn:  map[string]railyard.VerifiedStage{"test": {VerifiedAt: at(5 * time.Minute)}},
			},
			at: 25 * time.Minute, want: at(5 * time.Minute),
		},
		"a verification of an earlier stay is replaced": {
			status: railyard.FreightStatus{
				CurrentlyIn: map[string]railyard.CurrentStage{"test": {Since: at(2 * time.Hour)}},
				VerifiedIn:  map[string]railyard.VerifiedStage{"test": {VerifiedAt: at(time.Hour)}},
			},
			at: 2*time.Hour + 10*time.Minute, want: at(2*time.Hour + 10*time.Minute),
		},
		"a run of an earlier stay verifies this stay from its start": {
			status: railyard.FreightStatus{CurrentlyIn: map[string]railyard.CurrentStage{"test": {Since: at(2 * time.Hour)}}},
			at:     time.Hour, want: at(2 * time.Hour),
		},
		"verified and gone: the verification is kept": {
			status: railyard.FreightStatus{VerifiedIn: map[string]railyard.VerifiedStage{"test": {VerifiedAt: at(time.Hour)}}},
			at:     3 * time.Hour, want: at(time.Hour),
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f := &railyard.Freight{Status: tt.status}
			MarkVerified(f, "test", *at(tt.at))
			got := f.Status.VerifiedIn["test"].VerifiedAt
			if got == nil || !got.Equal(tt.want) {
				t.Errorf("verifiedAt = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestStayThenSoaked checks the functions together with what reads
// them: a Freight verified upstream soaks while it stays, and keeps its
// longest soak after it left.
func TestStayThenSoaked(t *testing.T) {
	f := &railyard.Freight{}
	AddCurrentStage(f, "test", statusT0)
	MarkVerified(f, "test", *at(10 * time.Minute))
	if got := Soaked(f, f.Status.VerifiedIn["test"], "test", statusT0.Add(40*time.Minute)); got != 30*time.Minute {
		t.Errorf("soaked while staying = %v, want 30m", got)
	}
	RemoveCurrentStage(f, "test", statusT0.Add(time.Hour))
	if got := Soaked(f, f.Status.VerifiedIn["test"], "test", statusT0.Add(5*time.Hour)); got != 50*time.Minute {
		t.Errorf("soaked after leaving = %v, want the completed 50m", got)
	}
}

func TestApprove(t *testing.T) {
	tests := map[string]struct {
		in       map[string]railyard.ApprovedStage
		wantNew  bool
		wantTime *metav1.Time
	}{
		"first approval":              {wantNew: true, wantTime: at(time.Hour)},
		"approved already: time kept": {in: map[string]railyard.ApprovedStage{"prod": {ApprovedAt: at(0)}}, wantTime: at(0)},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f := &railyard.Freight{Status: railyard.FreightStatus{ApprovedFor: tt.in}}
			if got := Approve(f, "prod", statusT0.Add(time.Hour)); got != tt.wantNew {
				t.Errorf("Approve = %v, want %v", got, tt.wantNew)
			}
			if got := f.Status.ApprovedFor["prod"].ApprovedAt; got == nil || !got.Equal(tt.wantTime) {
				t.Errorf("approvedAt = %v, want %v", got, tt.wantTime)
			}
		})
	}
}

func TestMentionsAndForgetStage(t *testing.T) {
	tests := map[string]struct {
		status railyard.FreightStatus
		want   bool
	}{
		"nothing":      {want: false},
		"other Stages": {status: railyard.FreightStatus{CurrentlyIn: map[string]railyard.CurrentStage{"dev": {}}}, want: false},
		"runs there":   {status: railyard.FreightStatus{CurrentlyIn: map[string]railyard.CurrentStage{"test": {}}}, want: true},
		"verified":     {status: railyard.FreightStatus{VerifiedIn: map[string]railyard.VerifiedStage{"test": {}}}, want: true},
		"approved":     {status: railyard.FreightStatus{ApprovedFor: map[string]railyard.ApprovedStage{"test": {}}}, want: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f := &railyard.Freight{Status: *tt.status.DeepCopy()}
			if got := MentionsStage(f, "test"); got != tt.want {
				t.Errorf("MentionsStage = %v, want %v", got, tt.want)
			}
			ForgetStage(f, "test")
			if MentionsStage(f, "test") {
				t.Errorf("after ForgetStage the status still names the Stage: %+v", f.Status)
			}
			_, dev := f.Status.CurrentlyIn["dev"]
			_, wasDev := tt.status.CurrentlyIn["dev"]
			if dev != wasDev {
				t.Errorf("ForgetStage touched another Stage: %+v", f.Status)
			}
		})
	}
}
