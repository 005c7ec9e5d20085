package v1alpha1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PromotionPhase is the phase of a Promotion.
// +kubebuilder:validation:Enum=Pending;Running;Succeeded;Failed;Errored;Aborted
type PromotionPhase string

// Promotion phases. The last four are terminal.
const (
	PromotionPhasePending   PromotionPhase = "Pending"
	PromotionPhaseRunning   PromotionPhase = "Running"
	PromotionPhaseSucceeded PromotionPhase = "Succeeded"
	PromotionPhaseFailed    PromotionPhase = "Failed"
	PromotionPhaseErrored   PromotionPhase = "Errored"
	PromotionPhaseAborted   PromotionPhase = "Aborted"
)

// IsTerminal reports whether the phase is final.
func (p PromotionPhase) IsTerminal() bool {
	switch p {
	case PromotionPhaseSucceeded, PromotionPhaseFailed, PromotionPhaseErrored, PromotionPhaseAborted:
		return true
	}
	return false
}

// PromotionSpec says which Freight goes to which Stage, and how. It is
// immutable once created.
// +kubebuilder:validation:XValidation:rule="(has(self.freight) && size(self.freight) > 0) != has(self.origin)",message="a Promotion must set exactly one of spec.freight or spec.origin"
type PromotionSpec struct {
	// Stage to promote to.
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Stage string `json:"stage"`
	// Freight is the name of the Freight to promote.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Freight string `json:"freight,omitempty"`
	// Origin asks to promote the Freight that this origin's upstream Stage
	// currently has verified ("promote from upstream"), or for a Stage fed
	// directly, the newest Freight available.
	// +optional
	Origin *FreightOrigin `json:"origin,omitempty"`
	// Vars are visible to every step. The controller copies them from the
	// Stage; a creator may not set them (see docs/security.md).
	// +optional
	// +listType=atomic
	Vars []ExpressionVariable `json:"vars,omitempty"`
	// Steps to run. The controller copies them from the Stage's template,
	// with PromotionTasks inlined; a creator may not set them.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=200
	Steps []PromotionStep `json:"steps,omitempty"`
}

// StepStatus is the outcome of one step.
// +kubebuilder:validation:Enum=Pending;Running;Succeeded;Skipped;Failed;Errored;Aborted
type StepStatus string

// Step statuses.
const (
	StepStatusPending   StepStatus = "Pending"
	StepStatusRunning   StepStatus = "Running"
	StepStatusSucceeded StepStatus = "Succeeded"
	StepStatusSkipped   StepStatus = "Skipped"
	StepStatusFailed    StepStatus = "Failed"
	StepStatusErrored   StepStatus = "Errored"
	StepStatusAborted   StepStatus = "Aborted"
)

// StepExecutionMetadata records the progress of one step.
type StepExecutionMetadata struct {
	// Alias of the step.
	// +optional
	Alias string `json:"alias,omitempty"`
	// StartedAt is when the step first started.
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`
	// FinishedAt is when the step finished.
	// +optional
	FinishedAt *metav1.Time `json:"finishedAt,omitempty"`
	// ErrorCount counts consecutive errors.
	// +optional
	ErrorCount uint32 `json:"errorCount,omitempty"`
	// Status of the step.
	// +optional
	Status StepStatus `json:"status,omitempty"`
	// Message explains the status.
	// +optional
	Message string `json:"message,omitempty"`
	// ContinueOnError copies the step's setting.
	// +optional
	ContinueOnError bool `json:"continueOnError,omitempty"`
}

// HealthCheckStep is health criteria a step left for the Stage to evaluate.
type HealthCheckStep struct {
	// Uses names the kind of check, such as argocd-update.
	// +kubebuilder:validation:Required
	Uses string `json:"uses"`
	// Config of the check.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	Config *apiextensionsv1.JSON `json:"config,omitempty"`
}

// PromotionStatus is the progress of a Promotion. Its nested objects are
// atomic (x-kubernetes-map-type): status is written only by Railyard (the
// controller; for Freight approvals also its CLI and UI), with updates and
// merge patches, never server-side apply, so the API server need not track
// who owns each field inside them. That keeps managedFields small and makes
// every status write cheaper.
type PromotionStatus struct {
	// LastHandledRefresh echoes the refresh annotation value last handled.
	// +optional
	LastHandledRefresh string `json:"lastHandledRefresh,omitempty"`
	// Phase of the Promotion.
	// +optional
	Phase PromotionPhase `json:"phase,omitempty"`
	// Message explains the phase.
	// +optional
	Message string `json:"message,omitempty"`
	// Freight being promoted.
	// +optional
	// +structType=atomic
	Freight *FreightReference `json:"freight,omitempty"`
	// FreightCollection is what the Stage will run: the promoted Freight and
	// the Stage's current Freight of its other origins.
	// +optional
	// +structType=atomic
	FreightCollection *FreightCollection `json:"freightCollection,omitempty"`
	// HealthChecks left by steps for the Stage to evaluate.
	// +optional
	// +listType=atomic
	HealthChecks []HealthCheckStep `json:"healthChecks,omitempty"`
	// StartedAt is when the first step started.
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`
	// FinishedAt is when the Promotion reached a terminal phase.
	// +optional
	FinishedAt *metav1.Time `json:"finishedAt,omitempty"`
	// CurrentStep is the index of the step to run or resume.
	// +optional
	CurrentStep int64 `json:"currentStep,omitempty"`
	// StepExecutionMetadata records each step's progress.
	// +optional
	// +listType=atomic
	StepExecutionMetadata []StepExecutionMetadata `json:"stepExecutionMetadata,omitempty"`
	// State maps step aliases to their outputs.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	// +mapType=atomic
	State *apiextensionsv1.JSON `json:"state,omitempty"`
	// StepsDigest is the SHA-256 of the steps and vars the controller
	// copied into the spec. The controller runs a Promotion only when its
	// spec matches it, so steps written by anyone but the controller never
	// run, even where the admission policy is not installed.
	// +optional
	StepsDigest string `json:"stepsDigest,omitempty"`
	// Conditions: Stalled while the Promotion cannot proceed without a
	// person (its Stage does not exist).
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Promotion moves one Freight into one Stage by running steps.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=railyard,shortName={promo,promos}
// +kubebuilder:printcolumn:name="Shard",type=string,JSONPath=`.metadata.labels.railyard\.dev/shard`,priority=1
// +kubebuilder:printcolumn:name="Stage",type=string,JSONPath=`.spec.stage`
// +kubebuilder:printcolumn:name="Freight",type=string,JSONPath=`.status.freight.name`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Promotion struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec of the Promotion. Immutable, except that steps and vars left empty
	// by its creator are filled in once, from the Stage, by the controller.
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:XValidation:rule="self.stage == oldSelf.stage && has(self.freight) == has(oldSelf.freight) && (!has(self.freight) || self.freight == oldSelf.freight) && has(self.origin) == has(oldSelf.origin) && (!has(self.origin) || self.origin == oldSelf.origin)",message="spec is immutable"
	// +kubebuilder:validation:XValidation:rule="(!has(oldSelf.steps) || (has(self.steps) && self.steps == oldSelf.steps)) && (!has(oldSelf.vars) || (has(self.vars) && self.vars == oldSelf.vars))",message="spec is immutable: steps and vars may only be filled in once"
	Spec PromotionSpec `json:"spec"`
	// Status is the progress of the Promotion.
	// +optional
	Status PromotionStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// PromotionList is a list of Promotions.
type PromotionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Promotion `json:"items"`
}

func init() {
	register(&Promotion{}, &PromotionList{})
}

// GetConditions returns the Promotion's conditions.
func (p *Promotion) GetConditions() []metav1.Condition { return p.Status.Conditions }

// SetConditions replaces the Promotion's conditions.
func (p *Promotion) SetConditions(c []metav1.Condition) { p.Status.Conditions = c }
