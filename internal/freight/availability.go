package freight

import (
	"fmt"
	"strings"
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// IsAvailable reports whether a Stage may be promoted to the Freight at time
// now, and otherwise why not, in words a person can act on.
//
// The Freight's origin must be requested by the Stage. Then, in order: Freight
// approved for the Stage is available; Freight of a `direct` origin is
// available; otherwise it must be verified in one upstream Stage of the
// request (every one with availabilityStrategy All) and, when the request sets
// requiredSoakTime, have soaked there that long. Approval bypasses soaking.
func IsAvailable(f *railyard.Freight, stage *railyard.Stage, now time.Time) (bool, string) {
	if f == nil || stage == nil {
		return false, "no Freight or no Stage"
	}
	if f.Namespace != "" && stage.Namespace != "" && f.Namespace != stage.Namespace {
		return false, fmt.Sprintf("Freight %s is in namespace %s, Stage %s in %s", f.Name, f.Namespace, stage.Name, stage.Namespace)
	}
	if why, ok := f.Annotations[railyard.AnnotationRejected]; ok {
		return false, fmt.Sprintf("Freight %s was rejected: %s", f.Name, why)
	}
	req := requestFor(stage, f.Origin)
	if req == nil {
		return false, fmt.Sprintf("origin %s is not requested by Stage %s", f.Origin, stage.Name)
	}
	if _, ok := f.Status.ApprovedFor[stage.Name]; ok {
		return true, fmt.Sprintf("approved for Stage %s", stage.Name)
	}
	src := req.Sources
	if src.Direct {
		return true, fmt.Sprintf("Stage %s takes %s directly", stage.Name, f.Origin)
	}
	if len(src.Stages) == 0 {
		return false, fmt.Sprintf("Stage %s names no upstream Stage for %s", stage.Name, f.Origin)
	}
	var soak time.Duration
	if src.RequiredSoakTime != nil {
		soak = src.RequiredSoakTime.Duration
	}
	var missing []string
	for _, up := range src.Stages {
		reason := readyIn(f, up, soak, now)
		if reason == "" && src.AvailabilityStrategy != railyard.AvailabilityStrategyAll {
			return true, fmt.Sprintf("verified in upstream Stage %s", up)
		}
		if reason != "" {
			missing = append(missing, reason)
		}
	}
	if len(missing) == 0 {
		return true, "verified in every upstream Stage"
	}
	return false, strings.Join(missing, "; ")
}

// requestFor returns the Stage's request for the origin, or nil.
func requestFor(stage *railyard.Stage, origin railyard.FreightOrigin) *railyard.FreightRequest {
	for i := range stage.Spec.RequestedFreight {
		if stage.Spec.RequestedFreight[i].Origin.Equals(origin) {
			return &stage.Spec.RequestedFreight[i]
		}
	}
	return nil
}

// readyIn returns "" when the Freight is verified in the upstream Stage and
// soaked there for soak, otherwise the reason it is not.
func readyIn(f *railyard.Freight, upstream string, soak time.Duration, now time.Time) string {
	verified, ok := f.Status.VerifiedIn[upstream]
	if !ok {
		return "not verified in upstream Stage " + upstream
	}
	if soak <= 0 {
		return ""
	}
	soaked := Soaked(f, verified, upstream, now)
	if soaked >= soak {
		return ""
	}
	return fmt.Sprintf("soaked %s of %s in %s", shortDuration(soaked), shortDuration(soak), upstream)
}

// Soaked is how long the Freight has soaked in a Stage: the longer of its
// longest completed stay and, while it is still there, the time since it
// arrived or, when it was verified there later (an analysis that took a
// while), since it was verified: the soak clock starts with the
// verification.
func Soaked(f *railyard.Freight, verified railyard.VerifiedStage, stage string, now time.Time) time.Duration {
	var soaked time.Duration
	if verified.LongestCompletedSoak != nil {
		soaked = verified.LongestCompletedSoak.Duration
	}
	if cur, ok := f.Status.CurrentlyIn[stage]; ok && cur.Since != nil {
		start := cur.Since.Time
		if verified.VerifiedAt != nil && verified.VerifiedAt.After(start) {
			start = verified.VerifiedAt.Time
		}
		if d := now.Sub(start); d > soaked {
			soaked = d
		}
	}
	return soaked
}

// shortDuration renders whole seconds without trailing zero units: 10m, 1h,
// 1h30m, 45s.
func shortDuration(d time.Duration) string {
	d = d.Truncate(time.Second)
	if d <= 0 {
		return "0s"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// SoakRemaining is the shortest time until the Freight completes the soak the
// Stage requires in an upstream Stage it is verified in and still runs in;
// zero when there is nothing to wait for. The Stage reconciler requeues after
// it so that elapsed soak time is noticed without polling.
func SoakRemaining(f *railyard.Freight, stage *railyard.Stage, now time.Time) time.Duration {
	req := requestFor(stage, f.Origin)
	if req == nil || req.Sources.Direct || req.Sources.RequiredSoakTime == nil {
		return 0
	}
	soak := req.Sources.RequiredSoakTime.Duration
	var remaining time.Duration
	for _, up := range req.Sources.Stages {
		verified, ok := f.Status.VerifiedIn[up]
		if !ok {
			continue
		}
		if _, still := f.Status.CurrentlyIn[up]; !still {
			continue // soak only grows while the Freight is there
		}
		left := soak - Soaked(f, verified, up, now)
		if left > 0 && (remaining == 0 || left < remaining) {
			remaining = left
		}
	}
	return remaining
}
