package v1alpha1

// Reasons of the Events the controllers emit that are not also condition
// reasons (the Warehouse's others are: FreightCreated, DiscoveryFailed,
// CriteriaInvalid, ...). Each is listed in docs/api.md, which a test checks
// against EventReasons.
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
	// EventDiscoveryRecovered: a Warehouse discovered again after failing.
	EventDiscoveryRecovered = "DiscoveryRecovered"
	// EventFreightRejected: the Freight checker found hand-made Freight
	// that does not fit its Warehouse.
	EventFreightRejected = "FreightRejected"
)

// PromotionEndedReason is the Event reason of a Promotion that ended in
// phase: PromotionSucceeded, PromotionFailed, PromotionErrored or
// PromotionAborted.
func PromotionEndedReason(phase PromotionPhase) string { return "Promotion" + string(phase) }

// VerificationEndedReason is the Event reason of a verification that ended
// in phase other than Successful: VerificationFailed, VerificationError,
// VerificationInconclusive (the condition reasons of the same name).
func VerificationEndedReason(phase string) string { return "Verification" + phase }

// EventReasons lists every Event reason that is not also a condition
// reason.
var EventReasons = []string{
	EventPromotionStarted, EventPromotionSucceeded, EventPromotionAborted, EventPromotionCreated,
	EventAutoPromotionHeld, EventFreightVerified, EventVerificationStarted,
	EventDiscoveryRecovered, EventFreightRejected,
	PromotionEndedReason(PromotionPhaseFailed), PromotionEndedReason(PromotionPhaseErrored),
}
