package v1alpha1

import (
	"encoding/json"
	"strings"
)

// AbortPromotionRequest is the value of a Promotion's abort annotation in
// Kargo's format. Reason is Railyard's addition: a controller that aborts
// a Promotion (the Stage controller, when the Stage is deleted) says why,
// and the Promotion's message repeats it.
type AbortPromotionRequest struct {
	// Action is "terminate", the only action Kargo defines.
	Action string `json:"action"`
	// Actor who asked, when known.
	// +optional
	Actor string `json:"actor,omitempty"`
	// Reason the abort was requested, in words for people.
	// +optional
	Reason string `json:"reason,omitempty"`
}

// AbortActionTerminate is the action of every abort request.
const AbortActionTerminate = "terminate"

// String encodes the request as the annotation value.
func (r AbortPromotionRequest) String() string {
	b, _ := json.Marshal(r) // a struct of strings always encodes
	return string(b)
}

// ParseAbortPromotionRequest reads an abort annotation value. Any value
// asks for an abort; one that is not the JSON object (a bare "true", say)
// is a request with nothing more to tell.
func ParseAbortPromotionRequest(value string) AbortPromotionRequest {
	var req AbortPromotionRequest
	if err := json.Unmarshal([]byte(strings.TrimSpace(value)), &req); err != nil {
		return AbortPromotionRequest{Action: AbortActionTerminate}
	}
	req.Actor = strings.TrimSpace(req.Actor)
	req.Reason = strings.TrimSpace(req.Reason)
	return req
}
