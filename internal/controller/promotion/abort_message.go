package promotion

import (
	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// abortReason words an abort annotation's value for people: the reason a
// controller gave ("Stage "test" was deleted"), "by request of alice" when
// the value names an actor, or "by request". The raw annotation (key and
// JSON) is no news to the reader, so it is left out; the engine prefixes
// "aborted: ".
func abortReason(value string) string {
	req := railyard.ParseAbortPromotionRequest(value)
	switch {
	case req.Reason != "":
		return req.Reason
	case req.Actor != "":
		return "by request of " + req.Actor
	}
	return "by request"
}
