package v1alpha1

import (
	"encoding/json"
	"strings"
)

// VerificationRequest is the value of the reverify and abort annotations
// of a Stage, in Kargo's format: either a bare verification ID or this
// object as JSON.
type VerificationRequest struct {
	// ID of the verification the request is for.
	ID string `json:"id"`
	// Actor who asked, recorded in the verification history.
	// +optional
	Actor string `json:"actor,omitempty"`
	// ControlPlane is true when a control plane component (the CLI, an API
	// server) made the request on behalf of Actor.
	// +optional
	ControlPlane bool `json:"controlPlane,omitempty"`
}

// ForID reports whether the request is for the verification with this ID.
func (r *VerificationRequest) ForID(id string) bool {
	return r != nil && r.ID != "" && r.ID == id
}

// ParseVerificationRequest reads an annotation value: a JSON object, or a
// bare ID. It returns nil for an empty value or JSON without an ID.
func ParseVerificationRequest(value string) *VerificationRequest {
	value = strings.TrimSpace(value)
	if value == "" {
		return nil
	}
	if strings.HasPrefix(value, "{") {
		var req VerificationRequest
		if err := json.Unmarshal([]byte(value), &req); err != nil || req.ID == "" {
			return nil
		}
		return &req
	}
	return &VerificationRequest{ID: value}
}

// StageVerificationRequest returns the request for the verification with
// this ID under Railyard's key or Kargo's (railyardKey, kargoKey:
// AnnotationReverify and AnnotationKargoReverify, or AnnotationAbort and
// AnnotationKargoAbort), Railyard's first; nil when neither is for it. Both
// are read: a request left under one key for an earlier verification must
// not hide a new one under the other (Railyard's CLI writes Railyard's key,
// Kargo's tools and manifests Kargo's).
func StageVerificationRequest(annotations map[string]string, id, railyardKey, kargoKey string) *VerificationRequest {
	for _, key := range []string{railyardKey, kargoKey} {
		if req := ParseVerificationRequest(annotations[key]); req.ForID(id) {
			return req
		}
	}
	return nil
}

// String renders the request as the JSON an annotation holds.
func (r VerificationRequest) String() string {
	b, _ := json.Marshal(r)
	return string(b)
}
