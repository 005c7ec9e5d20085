package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PreviewPhase is the phase of a PromotionPreview.
// +kubebuilder:validation:Enum=Pending;Running;Succeeded;Failed
type PreviewPhase string

// PromotionPreview phases; Succeeded and Failed are terminal.
const (
	PreviewPhasePending   PreviewPhase = "Pending"
	PreviewPhaseRunning   PreviewPhase = "Running"
	PreviewPhaseSucceeded PreviewPhase = "Succeeded"
	PreviewPhaseFailed    PreviewPhase = "Failed"
)

// IsTerminal reports whether the phase is final.
func (p PreviewPhase) IsTerminal() bool {
	return p == PreviewPhaseSucceeded || p == PreviewPhaseFailed
}

// PromotionPreview reasons (condition Ready). ReasonStageNotFound and
// ReasonInvalidSteps apply too.
const (
	// ReasonPreviewed (Ready=True): the steps up to the last git-commit ran
	// and status.commits holds what they would commit.
	ReasonPreviewed = "Previewed"
	// ReasonPreviewFailed (Ready=False): a step failed; status.steps says
	// which and why.
	ReasonPreviewFailed = "PreviewFailed"
	// ReasonNothingToPreview (Ready=False): the Stage's steps have no
	// git-commit, so a promotion commits nothing that could be shown.
	ReasonNothingToPreview = "NothingToPreview"
	// ReasonFreightUnavailable (Ready=False): the Freight does not exist or
	// the Stage may not receive it.
	ReasonFreightUnavailable = "FreightUnavailable"
)

// PreviewStepStatus is what a preview did with one step.
// +kubebuilder:validation:Enum=Ran;Skipped;Failed
type PreviewStepStatus string

// Preview step statuses.
const (
	PreviewStepRan     PreviewStepStatus = "Ran"
	PreviewStepSkipped PreviewStepStatus = "Skipped"
	PreviewStepFailed  PreviewStepStatus = "Failed"
)

// PromotionPreviewSpec names the Stage and the Freight, as a Promotion
// does. It is immutable.
// +kubebuilder:validation:XValidation:rule="(has(self.freight) && size(self.freight) > 0) != has(self.origin)",message="a PromotionPreview must set exactly one of spec.freight or spec.origin"
type PromotionPreviewSpec struct {
	// Stage whose promotion steps are previewed.
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Stage string `json:"stage"`
	// Freight is the name (or alias) of the Freight to preview promoting.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Freight string `json:"freight,omitempty"`
	// Origin previews promoting "from upstream", as Promotion's origin.
	// +optional
	Origin *FreightOrigin `json:"origin,omitempty"`
}

// PreviewStep is what a preview did with one step of the Stage.
type PreviewStep struct {
	// Alias of the step.
	Alias string `json:"alias"`
	// Uses names the step.
	Uses string `json:"uses"`
	// Status: Ran, Skipped (not run in a preview, or its `if` was false) or
	// Failed.
	Status PreviewStepStatus `json:"status"`
	// Message says why a step was skipped or failed.
	// +optional
	Message string `json:"message,omitempty"`
}

// PreviewCommit is the commit one git-commit step would push.
type PreviewCommit struct {
	// Step is the alias of the git-commit step.
	Step string `json:"step"`
	// Path of the checkout in the work directory.
	Path string `json:"path"`
	// Branch checked out, when known.
	// +optional
	Branch string `json:"branch,omitempty"`
	// Base is the commit the new commit sits on ("" for a new orphan
	// branch).
	// +optional
	Base string `json:"base,omitempty"`
	// Message of the would-be commit.
	// +optional
	Message string `json:"message,omitempty"`
	// FilesChanged, Additions and Deletions are the diffstat, counted over
	// the whole diff even when Diff is truncated.
	FilesChanged int `json:"filesChanged"`
	Additions    int `json:"additions"`
	Deletions    int `json:"deletions"`
	// Diff is the unified diff, cut at 64 KiB.
	// +optional
	Diff string `json:"diff,omitempty"`
	// DiffTruncated reports that Diff was cut.
	// +optional
	DiffTruncated bool `json:"diffTruncated,omitempty"`
	// NothingToCommit reports that the step found the checkout unchanged:
	// promoting this Freight would commit nothing here.
	// +optional
	NothingToCommit bool `json:"nothingToCommit,omitempty"`
}

// PromotionPreviewStatus is the outcome of a preview.
type PromotionPreviewStatus struct {
	// Phase of the preview.
	// +optional
	Phase PreviewPhase `json:"phase,omitempty"`
	// Message explains the phase.
	// +optional
	Message string `json:"message,omitempty"`
	// Freight previewed.
	// +optional
	Freight *FreightReference `json:"freight,omitempty"`
	// Steps lists every step of the Stage with what the preview did.
	// +optional
	// +listType=atomic
	Steps []PreviewStep `json:"steps,omitempty"`
	// Commits holds one entry per git-commit step run.
	// +optional
	// +listType=atomic
	Commits []PreviewCommit `json:"commits,omitempty"`
	// FinishedAt is when the preview reached a terminal phase; the
	// controller deletes it an hour later.
	// +optional
	FinishedAt *metav1.Time `json:"finishedAt,omitempty"`
	// Conditions: Ready once finished (see the reasons above).
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// PromotionPreview asks Railyard to show what promoting a Freight to a
// Stage would commit: the Stage's steps up to the last git-commit run in a
// scratch directory, and nothing that writes elsewhere (git-push,
// argocd-update, ...) runs.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=railyard,shortName={preview,previews}
// +kubebuilder:printcolumn:name="Stage",type=string,JSONPath=`.spec.stage`
// +kubebuilder:printcolumn:name="Freight",type=string,JSONPath=`.status.freight.name`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type PromotionPreview struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec of the preview; immutable.
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec is immutable"
	Spec PromotionPreviewSpec `json:"spec"`
	// Status is the outcome.
	// +optional
	Status PromotionPreviewStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// PromotionPreviewList is a list of PromotionPreviews.
type PromotionPreviewList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []PromotionPreview `json:"items"`
}

func init() {
	register(&PromotionPreview{}, &PromotionPreviewList{})
}

// GetConditions returns the preview's conditions.
func (p *PromotionPreview) GetConditions() []metav1.Condition { return p.Status.Conditions }

// SetConditions replaces the preview's conditions.
func (p *PromotionPreview) SetConditions(c []metav1.Condition) { p.Status.Conditions = c }
