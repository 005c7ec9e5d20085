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

func TestPublishCurrentPromotion(t *testing.T) {
	running := railyard.VerificationInfo{ID: "v1", Phase: railyard.VerificationPhaseRunning}
	done := railyard.VerificationInfo{ID: "v1", Phase: railyard.VerificationPhaseFailed}
	resolved := promo("resolved", 0, railyard.PromotionPhasePending)
	resolved.Status.Freight = &railyard.FreightReference{Name: "f1"}
	f0 := &railyard.FreightReference{Name: "f0"}
	tests := []struct {
		name         string
		promos       []railyard.Promotion
		verification *railyard.VerificationInfo
		created      map[string]railyard.FreightReference // by this reconcile
		published    *railyard.PromotionReference         // before; "old" if nil
		want         string
		wantFreight  string
	}{
		{name: "nothing waits", want: ""},
		{name: "the oldest waiting one", promos: []railyard.Promotion{promo("b", time.Second, ""), promo("a", 0, "")}, want: "a"},
		{name: "with the Freight it resolved", promos: []railyard.Promotion{resolved}, want: "resolved", wantFreight: "f1"},
		{name: "none starts while the current Freight is verified", promos: []railyard.Promotion{promo("a", 0, "")}, verification: &running, want: ""},
		{name: "a running one is never held", promos: []railyard.Promotion{promo("a", 0, railyard.PromotionPhaseRunning)}, verification: &running, want: "a"},
		{name: "after the verification ended", promos: []railyard.Promotion{promo("a", 0, "")}, verification: &done, want: "a"},
		{name: "created by this reconcile: with the Freight it was created for", promos: []railyard.Promotion{promo("a", 0, "")},
			created: map[string]railyard.FreightReference{"a": {Name: "f2"}}, want: "a", wantFreight: "f2"},
		{name: "published with its Freight before it resolved it: kept", promos: []railyard.Promotion{promo("a", 0, "")},
			published: &railyard.PromotionReference{Name: "a", Freight: f0}, want: "a", wantFreight: "f0"},
		{name: "what it resolved wins", promos: []railyard.Promotion{resolved},
			published: &railyard.PromotionReference{Name: "resolved", Freight: f0}, want: "resolved", wantFreight: "f1"},
		{name: "another Promotion's Freight is not taken", promos: []railyard.Promotion{promo("a", 0, "")},
			published: &railyard.PromotionReference{Name: "b", Freight: f0}, want: "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &railyard.Stage{}
			// A stale reference the reconcile replaces.
			st.Status.CurrentPromotion = &railyard.PromotionReference{Name: "old"}
			if tt.published != nil {
				st.Status.CurrentPromotion = tt.published
			}
			if tt.verification != nil {
				st.Status.FreightHistory = []railyard.FreightCollection{{VerificationHistory: []railyard.VerificationInfo{*tt.verification}}}
			}
			sc := &scope{stage: st, promotions: tt.promos, created: tt.created}
			publishCurrentPromotion(sc)
			got, freight := "", ""
			if cur := st.Status.CurrentPromotion; cur != nil {
				got = cur.Name
				if cur.Freight != nil {
					freight = cur.Freight.Name
				}
			}
			if got != tt.want || freight != tt.wantFreight {
				t.Errorf("currentPromotion = %q (Freight %q), want %q (Freight %q)", got, freight, tt.want, tt.wantFreight)
			}
		})
	}
}
