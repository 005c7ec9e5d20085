package cli

import (
	"fmt"
	"strings"
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/actions"
	"github.com/railyard-dev/railyard/internal/freight"
)

// requestFor returns the Stage's request for Freight of origin, or nil.
func requestFor(stage *railyard.Stage, origin railyard.FreightOrigin) *railyard.FreightRequest {
	return actions.RequestFor(stage, origin)
}

func requestedOrigins(stage *railyard.Stage) []string {
	out := make([]string, 0, len(stage.Spec.RequestedFreight))
	for _, r := range stage.Spec.RequestedFreight {
		out = append(out, r.Origin.Name)
	}
	return out
}

// soakIn is how long f has stayed in the Stage up: the longest completed
// stay, or the current one if longer.
func soakIn(f *railyard.Freight, up string, now time.Time) time.Duration {
	var d time.Duration
	if v, ok := f.Status.VerifiedIn[up]; ok && v.LongestCompletedSoak != nil {
		d = v.LongestCompletedSoak.Duration
	}
	if c, ok := f.Status.CurrentlyIn[up]; ok && c.Since != nil {
		if cur := now.Sub(c.Since.Time); cur > d {
			d = cur
		}
	}
	return d
}

// availableTo explains why f may not be promoted to stage, or returns nil
// when it may. Whether it may is freight.IsAvailable's rule, the one the
// controllers apply (Kargo's: an approval or a direct request makes Freight
// available; otherwise it must be verified, and soaked, in one upstream
// Stage, or every one with availabilityStrategy All). This only words the
// refusal with what to do.
func availableTo(stage *railyard.Stage, f *railyard.Freight, now time.Time) error {
	req := requestFor(stage, f.Origin)
	if req == nil {
		return fmt.Errorf("freight %s comes from warehouse %s, but stage %s requests Freight only from: %s",
			freightLabel(f), f.Origin.Name, stage.Name, strings.Join(requestedOrigins(stage), ", "))
	}
	ok, why := freight.IsAvailable(f, stage, now)
	if ok {
		return nil
	}
	missing := unmetUpstream(req, f, now)
	if _, rejected := f.Annotations[railyard.AnnotationRejected]; rejected || len(missing) == 0 {
		missing = []string{why}
	}
	how := "one of"
	if req.Sources.AvailabilityStrategy == railyard.AvailabilityStrategyAll {
		how = "all of"
	}
	return fmt.Errorf("freight %s is not available to stage %s, which takes Freight verified in %s %s: %s; promote it upstream first, or approve it with 'railyard approve --freight %s --stage %s'",
		freightLabel(f), stage.Name, how, strings.Join(req.Sources.Stages, ", "), strings.Join(missing, "; "), f.Name, stage.Name)
}

// unmetUpstream lists, in words, what each upstream Stage of the request
// still lacks: verification, or soak time.
func unmetUpstream(req *railyard.FreightRequest, f *railyard.Freight, now time.Time) []string {
	var missing []string
	for _, up := range req.Sources.Stages {
		if _, ok := f.Status.VerifiedIn[up]; !ok {
			missing = append(missing, fmt.Sprintf("it is not verified in stage %s", up))
			continue
		}
		if need := req.Sources.RequiredSoakTime; need != nil {
			if got := soakIn(f, up, now); got < need.Duration {
				missing = append(missing, fmt.Sprintf("it has soaked %s of the required %s in stage %s", got.Round(time.Second), need.Duration, up))
			}
		}
	}
	return missing
}
