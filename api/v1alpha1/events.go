package v1alpha1

// Reasons of the Events the Stage and Promotion controllers emit (the
// Warehouse's and the Freight checker's are the condition reasons of the
// same name: FreightCreated, DiscoveryFailed, CriteriaInvalid, ...). Each
// is listed in docs/api.md, which a test checks against EventReasons.
const (
	// EventPromotionStarted: a Promotion's first step started.
	EventPromotionStarted = "PromotionStarted"
	// EventPromotionSucceeded: on the Promotion when it ends Succeeded, on
	// the Stage when it records it.
	EventPromotionSucceeded = "PromotionSucceeded"
	// EventPromotionAborted: a running Promotion was aborted by request.
	EventPromotionAborted = "PromotionAborted"
	// EventPromotionCreated: auto-promotion created a Promotion.
	EventPromotionCreated = "PromotionCreated"
	// EventAutoPromotionHeld: auto-promotion holds back after a person
	// promoted older Freight.
	EventAutoPromotionHeld = "AutoPromotionHeld"
	// EventFreightVerified: the Stage's Freight is verified there.
	EventFreightVerified = "FreightVerified"
	// EventVerificationStarted: an AnalysisRun verifies the Stage's Freight.
	EventVerificationStarted = "VerificationStarted"
)

// PromotionEndedReason is the Event reason of a Promotion that ended in
// phase: PromotionSucceeded, PromotionFailed, PromotionErrored or
// PromotionAborted.
func PromotionEndedReason(phase PromotionPhase) string { return "Promotion" + string(phase) }

// VerificationEndedReason is the Event reason of a verification that ended
// in phase other than Successful: VerificationFailed, VerificationError,
// VerificationInconclusive (the condition reasons of the same name).
func VerificationEndedReason(phase string) string { return "Verification" + phase }

// EventReasons lists every Event reason of Stages and Promotions that is
// not also a condition reason.
var EventReasons = []string{
	EventPromotionStarted, EventPromotionSucceeded, EventPromotionAborted, EventPromotionCreated,
	EventAutoPromotionHeld, EventFreightVerified, EventVerificationStarted,
	PromotionEndedReason(PromotionPhaseFailed), PromotionEndedReason(PromotionPhaseErrored),
}
