package promotion

import (
	"encoding/json"
	"strings"
)

// abortReason words an abort annotation's value for people: "by request",
// or "by request of alice" when the value is Kargo's AbortPromotionRequest
// naming an actor. The raw annotation (key and JSON) is no news to the
// reader, so it is left out; the engine prefixes "aborted: ".
func abortReason(value string) string {
	var req struct {
		Actor string `json:"actor"`
	}
	if json.Unmarshal([]byte(value), &req) == nil {
		if actor := strings.TrimSpace(req.Actor); actor != "" {
			return "by request of " + actor
		}
	}
	return "by request"
}
