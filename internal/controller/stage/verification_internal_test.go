package stage

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/rollouts"
)

func TestPushVerification(t *testing.T) {
	vi := func(id string, phase railyard.VerificationPhase) railyard.VerificationInfo {
		return railyard.VerificationInfo{ID: id, Phase: phase}
	}
	ids := func(c *railyard.FreightCollection) string {
		s := ""
		for _, v := range c.VerificationHistory {
			s += v.ID + ":" + string(v.Phase) + " "
		}
		return s
	}
	var eleven []railyard.VerificationInfo
	for i := range 11 {
		eleven = append(eleven, vi(fmt.Sprint(i), railyard.VerificationPhaseFailed))
	}
	tests := map[string]struct {
		history []railyard.VerificationInfo
		push    railyard.VerificationInfo
		want    string
	}{
		"first":        {push: vi("a", railyard.VerificationPhasePending), want: "a:Pending "},
		"newest first": {history: []railyard.VerificationInfo{vi("a", railyard.VerificationPhaseFailed)}, push: vi("b", railyard.VerificationPhasePending), want: "b:Pending a:Failed "},
		"same ID replaces, moved first": {
			history: []railyard.VerificationInfo{vi("b", railyard.VerificationPhaseFailed), vi("a", railyard.VerificationPhaseRunning)},
			push:    vi("a", railyard.VerificationPhaseSuccessful), want: "a:Successful b:Failed ",
		},
		"at most ten kept": {history: eleven[:10], push: vi("new", railyard.VerificationPhasePending),
			want: "new:Pending 0:Failed 1:Failed 2:Failed 3:Failed 4:Failed 5:Failed 6:Failed 7:Failed 8:Failed "},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c := &railyard.FreightCollection{VerificationHistory: append([]railyard.VerificationInfo(nil), tt.history...)}
			pushVerification(c, tt.push)
			if got := ids(c); got != tt.want {
				t.Errorf("history = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestIsVerifiedAndVerifying(t *testing.T) {
	tests := map[string]struct {
		history       []railyard.VerificationInfo
		wantVerified  bool
		wantVerifying bool
	}{
		"never verified": {},
		"running":        {history: []railyard.VerificationInfo{{Phase: railyard.VerificationPhaseRunning}}, wantVerifying: true},
		"pending":        {history: []railyard.VerificationInfo{{Phase: railyard.VerificationPhasePending}}, wantVerifying: true},
		"failed":         {history: []railyard.VerificationInfo{{Phase: railyard.VerificationPhaseFailed}}},
		"succeeded":      {history: []railyard.VerificationInfo{{Phase: railyard.VerificationPhaseSuccessful}}, wantVerified: true},
		"a failed re-verification keeps it verified (as Kargo)": {
			history:      []railyard.VerificationInfo{{Phase: railyard.VerificationPhaseFailed}, {Phase: railyard.VerificationPhaseSuccessful}},
			wantVerified: true,
		},
		"re-verifying a verified Freight": {
			history:      []railyard.VerificationInfo{{Phase: railyard.VerificationPhaseRunning}, {Phase: railyard.VerificationPhaseSuccessful}},
			wantVerified: true, wantVerifying: true,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c := railyard.FreightCollection{VerificationHistory: tt.history}
			st := &railyard.Stage{Status: railyard.StageStatus{FreightHistory: []railyard.FreightCollection{c}}}
			if got := isVerified(&c); got != tt.wantVerified {
				t.Errorf("isVerified = %v, want %v", got, tt.wantVerified)
			}
			if got := verifying(st); got != tt.wantVerifying {
				t.Errorf("verifying = %v, want %v", got, tt.wantVerifying)
			}
		})
	}
}

// run is an AnalysisRun with the annotations and status given.
func run(name string, annotations map[string]string, status map[string]any) *unstructured.Unstructured {
	u := rollouts.NewRun()
	u.SetNamespace("demo")
	u.SetName(name)
	u.SetAnnotations(annotations)
	u.SetCreationTimestamp(metav1.NewTime(t0))
	if status != nil {
		u.Object["status"] = status
	}
	return u
}

func TestRunToAdopt(t *testing.T) {
	runs := []unstructured.Unstructured{
		*run("newest", map[string]string{rollouts.AnnotationReverifies: "v1"}, nil),
		*run("older", nil, nil),
	}
	tests := map[string]struct {
		runs []unstructured.Unstructured
		req  *railyard.VerificationRequest
		want string
	}{
		"no run":                                 {req: nil, want: ""},
		"first verification adopts the newest":   {runs: runs, want: "newest"},
		"a re-verification adopts its own run":   {runs: runs, req: &railyard.VerificationRequest{ID: "v1"}, want: "newest"},
		"a re-verification adopts no other run":  {runs: runs, req: &railyard.VerificationRequest{ID: "v2"}, want: ""},
		"a re-verification with no runs started": {req: &railyard.VerificationRequest{ID: "v1"}, want: ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := ""
			if r := runToAdopt(tt.runs, tt.req); r != nil {
				got = r.GetName()
			}
			if got != tt.want {
				t.Errorf("runToAdopt = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAdoptAndUpdateFromRun(t *testing.T) {
	now := metav1.NewTime(t0.Add(time.Hour))
	tests := map[string]struct {
		run        *unstructured.Unstructured
		wantID     string
		wantActor  string
		wantPhase  railyard.VerificationPhase
		wantFinish *metav1.Time
	}{
		"running: no finish time": {
			run:    run("r", map[string]string{rollouts.AnnotationVerification: "v9", rollouts.AnnotationActor: "alice"}, map[string]any{"phase": "Running"}),
			wantID: "v9", wantActor: "alice", wantPhase: railyard.VerificationPhaseRunning,
		},
		"finished: Argo Rollouts' completion time": {
			run:    run("r", nil, map[string]any{"phase": "Successful", "completedAt": "2026-01-01T00:30:00Z"}),
			wantID: "v1", wantPhase: railyard.VerificationPhaseSuccessful,
			wantFinish: &metav1.Time{Time: t0.Add(30 * time.Minute)},
		},
		"finished without a completion time: now": {
			run:    run("r", nil, map[string]any{"phase": "Failed"}),
			wantID: "v1", wantPhase: railyard.VerificationPhaseFailed, wantFinish: &now,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			vi := railyard.VerificationInfo{ID: "v1", Phase: railyard.VerificationPhasePending}
			adoptRun(&vi, tt.run)
			updateFromRun(&vi, tt.run, now)
			if vi.ID != tt.wantID || vi.Actor != tt.wantActor || vi.Phase != tt.wantPhase {
				t.Errorf("verification = %s by %q, %s; want %s by %q, %s", vi.ID, vi.Actor, vi.Phase, tt.wantID, tt.wantActor, tt.wantPhase)
			}
			if vi.StartTime == nil || !vi.StartTime.Equal(&metav1.Time{Time: t0}) {
				t.Errorf("start = %v, want the run's creation %v", vi.StartTime, t0)
			}
			switch {
			case tt.wantFinish == nil && vi.FinishTime != nil:
				t.Errorf("finish = %v, want none", vi.FinishTime)
			case tt.wantFinish != nil && (vi.FinishTime == nil || !vi.FinishTime.Equal(tt.wantFinish)):
				t.Errorf("finish = %v, want %v", vi.FinishTime, tt.wantFinish)
			}
			if vi.AnalysisRun == nil || vi.AnalysisRun.Name != "r" {
				t.Errorf("analysisRun = %+v, want r", vi.AnalysisRun)
			}
		})
	}
}

func TestArgString(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{nil, ""},
		{"v1.2.3", "v1.2.3"},
		{42, "42"},
		{true, "true"},
		{map[string]any{"a": 1}, `{"a":1}`},
		{[]any{"x", 2}, `["x",2]`},
	}
	for _, tt := range tests {
		if got := argString(tt.in); got != tt.want {
			t.Errorf("argString(%#v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
