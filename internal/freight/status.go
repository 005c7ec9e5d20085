package freight

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// The changes to a Freight's status, as pure functions of the Freight, a
// Stage name and a time: where it runs (status.currentlyIn), where it was
// verified and how long it soaked there (status.verifiedIn), and what it
// is approved for (status.approvedFor). The Stage controller applies them
// to Freight read past the cache and patches them with an optimistic lock;
// IsAvailable and Soaked read what they write.

// AddCurrentStage records that f arrived in stage at now, unless it is
// there already (its arrival time is kept). It reports whether f arrived.
func AddCurrentStage(f *railyard.Freight, stage string, now time.Time) bool {
	if _, ok := f.Status.CurrentlyIn[stage]; ok {
		return false
	}
	if f.Status.CurrentlyIn == nil {
		f.Status.CurrentlyIn = map[string]railyard.CurrentStage{}
	}
	since := metav1.NewTime(now)
	f.Status.CurrentlyIn[stage] = railyard.CurrentStage{Since: &since}
	return true
}

// RemoveCurrentStage records that f left stage at now. When f was verified
// there, the stay's soak (from its arrival, or from its verification when
// that came later) becomes the longest completed soak if it is longer.
func RemoveCurrentStage(f *railyard.Freight, stage string, now time.Time) {
	cur, ok := f.Status.CurrentlyIn[stage]
	if !ok {
		return
	}
	delete(f.Status.CurrentlyIn, stage)
	v, verified := f.Status.VerifiedIn[stage]
	if !verified || cur.Since == nil {
		return
	}
	start := cur.Since.Time
	if v.VerifiedAt != nil && v.VerifiedAt.After(start) {
		start = v.VerifiedAt.Time
	}
	soak := now.Sub(start)
	if v.LongestCompletedSoak == nil || soak > v.LongestCompletedSoak.Duration {
		v.LongestCompletedSoak = &metav1.Duration{Duration: soak}
		f.Status.VerifiedIn[stage] = v
	}
}

// MarkVerified records that f was verified in stage at at, keeping its
// soak. The soak clock of the current stay starts with its first
// verification: a later re-verification does not restart it, and a
// verification from an earlier stay is replaced.
func MarkVerified(f *railyard.Freight, stage string, at metav1.Time) {
	if f.Status.VerifiedIn == nil {
		f.Status.VerifiedIn = map[string]railyard.VerifiedStage{}
	}
	v := f.Status.VerifiedIn[stage]
	cur, in := f.Status.CurrentlyIn[stage]
	stay := in && cur.Since != nil
	if v.VerifiedAt != nil && (!stay || !v.VerifiedAt.Before(cur.Since)) {
		return
	}
	// A run from an earlier stay (the same Freight promoted again)
	// verifies this stay from its start.
	if stay && at.Before(cur.Since) {
		at = *cur.Since
	}
	v.VerifiedAt = &at
	f.Status.VerifiedIn[stage] = v
}

// Approve records that f is approved for stage at now, unless it is
// already (the first approval's time is kept). It reports whether f was
// not approved before.
func Approve(f *railyard.Freight, stage string, now time.Time) bool {
	if _, ok := f.Status.ApprovedFor[stage]; ok {
		return false
	}
	if f.Status.ApprovedFor == nil {
		f.Status.ApprovedFor = map[string]railyard.ApprovedStage{}
	}
	at := metav1.NewTime(now)
	f.Status.ApprovedFor[stage] = railyard.ApprovedStage{ApprovedAt: &at}
	return true
}

// MentionsStage reports whether f's status names stage: it runs there,
// was verified there or is approved for it.
func MentionsStage(f *railyard.Freight, stage string) bool {
	_, in := f.Status.CurrentlyIn[stage]
	_, verified := f.Status.VerifiedIn[stage]
	_, approved := f.Status.ApprovedFor[stage]
	return in || verified || approved
}

// ForgetStage removes every trace of stage from f's status, for a Stage
// that was deleted: a new Stage of the same name starts from nothing.
func ForgetStage(f *railyard.Freight, stage string) {
	delete(f.Status.CurrentlyIn, stage)
	delete(f.Status.VerifiedIn, stage)
	delete(f.Status.ApprovedFor, stage)
}
