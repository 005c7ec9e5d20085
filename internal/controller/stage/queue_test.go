package stage

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func promo(name string, created time.Duration, phase railyard.PromotionPhase) railyard.Promotion {
	return railyard.Promotion{
		ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(t0.Add(created))},
		Status:     railyard.PromotionStatus{Phase: phase},
	}
}

func TestNextPromotion(t *testing.T) {
	tests := []struct {
		name   string
		promos []railyard.Promotion
		want   string
	}{
		{"none", nil, ""},
		{"only finished", []railyard.Promotion{promo("a", 0, railyard.PromotionPhaseSucceeded), promo("b", 1, railyard.PromotionPhaseFailed)}, ""},
		{"oldest waiting first", []railyard.Promotion{promo("late", 2*time.Second, ""), promo("early", time.Second, railyard.PromotionPhasePending)}, "early"},
		{"running is never pre-empted", []railyard.Promotion{promo("old", 0, railyard.PromotionPhasePending), promo("running", time.Minute, railyard.PromotionPhaseRunning)}, "running"},
		{"same time: name order", []railyard.Promotion{promo("b", 0, ""), promo("a", 0, "")}, "a"},
		{"finished ones are skipped", []railyard.Promotion{promo("done", 0, railyard.PromotionPhaseErrored), promo("next", time.Second, "")}, "next"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NextPromotion(tt.promos)
			name := ""
			if got != nil {
				name = got.Name
			}
			if name != tt.want {
				t.Errorf("NextPromotion = %q, want %q", name, tt.want)
			}
		})
	}
}

func TestLastFinished(t *testing.T) {
	finished := func(name string, at time.Duration, phase railyard.PromotionPhase) railyard.Promotion {
		p := promo(name, 0, phase)
		ft := metav1.NewTime(t0.Add(at))
		p.Status.FinishedAt = &ft
		return p
	}
	promos := []railyard.Promotion{finished("a", time.Minute, railyard.PromotionPhaseSucceeded), finished("b", 2*time.Minute, railyard.PromotionPhaseFailed), promo("c", 0, railyard.PromotionPhaseRunning)}
	if got := lastFinished(promos); got == nil || got.Name != "b" {
		t.Fatalf("lastFinished = %v, want b", got)
	}
	if got := lastFinished([]railyard.Promotion{promo("c", 0, railyard.PromotionPhaseRunning)}); got != nil {
		t.Fatalf("lastFinished of running ones = %s, want none", got.Name)
	}
}

func TestCurrentStageBookkeeping(t *testing.T) {
	f := &railyard.Freight{}
	AddCurrentStage(f, "test", t0)
	AddCurrentStage(f, "test", t0.Add(time.Hour)) // already there: since is kept
	if got := f.Status.CurrentlyIn["test"].Since.Time; !got.Equal(t0) {
		t.Fatalf("since = %v, want %v", got, t0)
	}
	// Leaving before verification keeps no soak.
	RemoveCurrentStage(f, "test", t0.Add(time.Hour))
	if _, ok := f.Status.CurrentlyIn["test"]; ok {
		t.Fatal("Freight still current after leaving")
	}
	if _, ok := f.Status.VerifiedIn["test"]; ok {
		t.Fatal("unverified Freight got a soak record")
	}

	// Verified 10 minutes after arrival, left after an hour: 50 minutes soaked.
	AddCurrentStage(f, "test", t0)
	MarkVerified(f, "test", metav1.NewTime(t0.Add(10*time.Minute)))
	RemoveCurrentStage(f, "test", t0.Add(time.Hour))
	if got := f.Status.VerifiedIn["test"].LongestCompletedSoak.Duration; got != 50*time.Minute {
		t.Fatalf("longest soak = %v, want 50m", got)
	}
	// A shorter later stay does not shorten the record.
	AddCurrentStage(f, "test", t0.Add(2*time.Hour))
	RemoveCurrentStage(f, "test", t0.Add(2*time.Hour+time.Minute))
	if got := f.Status.VerifiedIn["test"].LongestCompletedSoak.Duration; got != 50*time.Minute {
		t.Fatalf("longest soak = %v after a shorter stay, want 50m", got)
	}
	// Back for good; verified again 5 minutes after arriving: the soak
	// clock of this stay starts then, and a re-verification 20 minutes
	// later does not restart it.
	AddCurrentStage(f, "test", t0.Add(3*time.Hour))
	MarkVerified(f, "test", metav1.NewTime(t0.Add(3*time.Hour+5*time.Minute)))
	MarkVerified(f, "test", metav1.NewTime(t0.Add(3*time.Hour+25*time.Minute)))
	if got := f.Status.VerifiedIn["test"].VerifiedAt.Time; !got.Equal(t0.Add(3*time.Hour + 5*time.Minute)) {
		t.Fatalf("verifiedAt = %v, want the first verification of this stay (%v)", got, t0.Add(3*time.Hour+5*time.Minute))
	}
	// Promoted again later and verified by the run of an earlier stay: the
	// stay counts as verified from its start, and a re-verification in it
	// does not restart the clock.
	RemoveCurrentStage(f, "test", t0.Add(4*time.Hour))
	AddCurrentStage(f, "test", t0.Add(5*time.Hour))
	MarkVerified(f, "test", metav1.NewTime(t0.Add(3*time.Hour+5*time.Minute)))
	MarkVerified(f, "test", metav1.NewTime(t0.Add(5*time.Hour+30*time.Minute)))
	if got := f.Status.VerifiedIn["test"].VerifiedAt.Time; !got.Equal(t0.Add(5 * time.Hour)) {
		t.Fatalf("verifiedAt = %v, want the start of this stay (%v)", got, t0.Add(5*time.Hour))
	}
	forgetStage(f, "test")
	if len(f.Status.VerifiedIn) != 0 || len(f.Status.CurrentlyIn) != 0 {
		t.Fatalf("forgetStage left %+v", f.Status)
	}
}

func TestShouldAutoPromote(t *testing.T) {
	current := railyard.FreightCollection{Freight: map[string]railyard.FreightReference{"Warehouse/app": {Name: "cur"}}}
	withFreight := func(p railyard.Promotion, f string, finishedAt time.Duration) railyard.Promotion {
		p.Spec.Freight = f
		if p.Status.Phase.IsTerminal() {
			ft := metav1.NewTime(t0.Add(finishedAt))
			p.Status.FinishedAt = &ft
		}
		return p
	}
	tests := []struct {
		name   string
		promos []railyard.Promotion
		f      string
		want   bool
	}{
		{"new Freight", nil, "new", true},
		{"already current", nil, "cur", false},
		{"already queued", []railyard.Promotion{withFreight(promo("p", 0, railyard.PromotionPhasePending), "new", 0)}, "new", false},
		{"last attempt failed", []railyard.Promotion{withFreight(promo("p", 0, railyard.PromotionPhaseFailed), "new", time.Minute)}, "new", false},
		{"failed, then a person succeeded", []railyard.Promotion{
			withFreight(promo("p1", 0, railyard.PromotionPhaseFailed), "new", time.Minute),
			withFreight(promo("p2", 0, railyard.PromotionPhaseSucceeded), "new", 2*time.Minute),
		}, "new", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := &scope{stage: &railyard.Stage{Status: railyard.StageStatus{FreightHistory: []railyard.FreightCollection{current}}}, promotions: tt.promos}
			if got := shouldAutoPromote(sc, tt.f); got != tt.want {
				t.Errorf("shouldAutoPromote = %v, want %v", got, tt.want)
			}
		})
	}
}
