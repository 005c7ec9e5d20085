package v1alpha1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// StageSpec describes which Freight a Stage accepts and how it is promoted.
// +kubebuilder:validation:XValidation:rule="has(self.requestedFreight) && size(self.requestedFreight) > 0",message="spec.requestedFreight must request Freight from at least one origin"
type StageSpec struct {
	// Shard assigns the Stage to a controller shard.
	// +optional
	Shard string `json:"shard,omitempty"`
	// Vars are visible to promotion steps and verification arguments.
	// +optional
	// +listType=atomic
	Vars []ExpressionVariable `json:"vars,omitempty"`
	// RequestedFreight lists the origins the Stage takes Freight from, and
	// where that Freight must come from.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	// +kubebuilder:validation:XValidation:rule="self.all(r, self.exists_one(o, o.origin == r.origin))",message="spec.requestedFreight must name each origin at most once"
	RequestedFreight []FreightRequest `json:"requestedFreight,omitempty"`
	// PromotionTemplate holds the steps of every Promotion to this Stage.
	// +optional
	PromotionTemplate *PromotionTemplate `json:"promotionTemplate,omitempty"`
	// Verification describes how Freight is verified after a promotion.
	// +optional
	Verification *Verification `json:"verification,omitempty"`
}

// AvailabilityStrategy decides in how many upstream Stages Freight must be
// verified before it is available.
// +kubebuilder:validation:Enum="";OneOf;All
type AvailabilityStrategy string

// Availability strategies.
const (
	// AvailabilityStrategyOneOf: verified in any one upstream Stage (default).
	AvailabilityStrategyOneOf AvailabilityStrategy = "OneOf"
	// AvailabilityStrategyAll: verified in every upstream Stage.
	AvailabilityStrategyAll AvailabilityStrategy = "All"
)

// AutoPromotionSelectionPolicy decides which Freight auto-promotion picks.
// +kubebuilder:validation:Enum=NewestFreight;MatchUpstream
type AutoPromotionSelectionPolicy string

// Auto-promotion selection policies.
const (
	// AutoPromotionSelectionPolicyNewestFreight picks the newest available.
	AutoPromotionSelectionPolicyNewestFreight AutoPromotionSelectionPolicy = "NewestFreight"
	// AutoPromotionSelectionPolicyMatchUpstream picks what the single
	// upstream Stage currently runs.
	AutoPromotionSelectionPolicyMatchUpstream AutoPromotionSelectionPolicy = "MatchUpstream"
)

// FreightRequest asks for Freight of one origin.
type FreightRequest struct {
	// Origin of the Freight.
	// +kubebuilder:validation:Required
	Origin FreightOrigin `json:"origin"`
	// Sources says where acceptable Freight comes from.
	// +kubebuilder:validation:Required
	Sources FreightSources `json:"sources"`
}

// FreightSources says where acceptable Freight comes from.
// +kubebuilder:validation:XValidation:rule="(has(self.direct) && self.direct) || (has(self.stages) && size(self.stages) > 0)",message="sources must set direct: true or name upstream stages"
// +kubebuilder:validation:XValidation:rule="!has(self.autoPromotionOptions) || !has(self.autoPromotionOptions.selectionPolicy) || self.autoPromotionOptions.selectionPolicy != 'MatchUpstream' || (!(has(self.direct) && self.direct) && has(self.stages) && size(self.stages) == 1)",message="sources.autoPromotionOptions.selectionPolicy MatchUpstream needs exactly one upstream stage and direct: false"
type FreightSources struct {
	// Direct accepts Freight straight from the Warehouse.
	// +optional
	Direct bool `json:"direct,omitempty"`
	// Stages accepts Freight verified in these upstream Stages.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	Stages []string `json:"stages,omitempty"`
	// RequiredSoakTime is how long Freight must have stayed in an upstream
	// Stage after verification before it is available here.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(s|m|h))+$`
	RequiredSoakTime *metav1.Duration `json:"requiredSoakTime,omitempty"`
	// AvailabilityStrategy: OneOf (default) or All upstream Stages.
	// +optional
	AvailabilityStrategy AvailabilityStrategy `json:"availabilityStrategy,omitempty"`
	// AutoPromotionOptions tune auto-promotion for this origin.
	// +optional
	AutoPromotionOptions *AutoPromotionOptions `json:"autoPromotionOptions,omitempty"`
}

// AutoPromotionOptions tune auto-promotion.
type AutoPromotionOptions struct {
	// SelectionPolicy decides which Freight is auto-promoted.
	// +optional
	// +kubebuilder:default=NewestFreight
	SelectionPolicy AutoPromotionSelectionPolicy `json:"selectionPolicy,omitempty"`
}

// PromotionTemplate holds the steps of Promotions to a Stage.
type PromotionTemplate struct {
	// Spec of the template.
	// +kubebuilder:validation:Required
	Spec PromotionTemplateSpec `json:"spec"`
}

// PromotionTemplateSpec lists the variables and steps of a promotion.
type PromotionTemplateSpec struct {
	// Vars are visible to every step.
	// +optional
	// +listType=atomic
	Vars []ExpressionVariable `json:"vars,omitempty"`
	// Steps run in order.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:XValidation:rule="self.all(s, has(s.uses) != has(s.task))",message="a step must set exactly one of uses or task"
	// +kubebuilder:validation:XValidation:rule="self.all(s, !has(s.task) || (!has(s.continueOnError) && !has(s.retry) && !has(s.config)))",message="a task step may not set continueOnError, retry or config; set them on the task's steps"
	Steps []PromotionStep `json:"steps,omitempty"`
}

// Verification describes how Freight is verified in a Stage. Without it the
// Freight is verified once the Stage is healthy after its promotion.
type Verification struct {
	// AnalysisTemplates to run (Argo Rollouts analysis).
	// +optional
	// +listType=atomic
	AnalysisTemplates []AnalysisTemplateReference `json:"analysisTemplates,omitempty"`
	// AnalysisRunMetadata is added to AnalysisRuns.
	// +optional
	AnalysisRunMetadata *AnalysisRunMetadata `json:"analysisRunMetadata,omitempty"`
	// Args are passed to the analysis.
	// +optional
	// +listType=atomic
	Args []AnalysisRunArgument `json:"args,omitempty"`
}

// AnalysisTemplateReference names an analysis template.
type AnalysisTemplateReference struct {
	// Name of the template.
	// +kubebuilder:validation:Required
	Name string `json:"name"`
	// Kind: AnalysisTemplate or ClusterAnalysisTemplate.
	// +optional
	// +kubebuilder:validation:Enum=AnalysisTemplate;ClusterAnalysisTemplate
	Kind string `json:"kind,omitempty"`
}

// AnalysisRunMetadata is metadata for AnalysisRuns.
type AnalysisRunMetadata struct {
	// Labels to add.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// Annotations to add.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// AnalysisRunArgument is a named analysis argument.
type AnalysisRunArgument struct {
	// Name of the argument.
	// +kubebuilder:validation:Required
	Name string `json:"name"`
	// Value of the argument; it may contain expressions.
	// +kubebuilder:validation:Required
	Value string `json:"value"`
}

// HealthState is the health of a Stage.
// +kubebuilder:validation:Enum=Healthy;Unhealthy;Progressing;Unknown;NotApplicable
type HealthState string

// Health states, from best to worst.
const (
	HealthStateHealthy       HealthState = "Healthy"
	HealthStateNotApplicable HealthState = "NotApplicable"
	HealthStateProgressing   HealthState = "Progressing"
	HealthStateUnknown       HealthState = "Unknown"
	HealthStateUnhealthy     HealthState = "Unhealthy"
)

// Health is the aggregated health of what a Stage's last promotion updated.
type Health struct {
	// Status is the worst state of all checks.
	// +optional
	Status HealthState `json:"status,omitempty"`
	// Issues explain a state other than Healthy.
	// +optional
	// +listType=atomic
	Issues []string `json:"issues,omitempty"`
	// Config is the health check configuration that was evaluated.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	Config *apiextensionsv1.JSON `json:"config,omitempty"`
	// Output is what the checks reported.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	Output *apiextensionsv1.JSON `json:"output,omitempty"`
}

// FreightReference is a copy of Freight's identity and artifacts, as held in
// Stage and Promotion status.
type FreightReference struct {
	// Name of the Freight.
	// +optional
	Name string `json:"name,omitempty"`
	// Origin of the Freight.
	// +optional
	Origin FreightOrigin `json:"origin,omitempty"`
	// Commits of the Freight.
	// +optional
	// +listType=atomic
	Commits []GitCommit `json:"commits,omitempty"`
	// Images of the Freight.
	// +optional
	// +listType=atomic
	Images []Image `json:"images,omitempty"`
	// Charts of the Freight.
	// +optional
	// +listType=atomic
	Charts []Chart `json:"charts,omitempty"`
}

// FreightCollection is the set of Freight, one per requested origin, that a
// Stage runs at once.
type FreightCollection struct {
	// ID is a hash of the member Freight names.
	// +optional
	ID string `json:"id,omitempty"`
	// Freight maps origin strings ("Warehouse/<name>") to Freight.
	// +optional
	Freight map[string]FreightReference `json:"items,omitempty"`
	// VerificationHistory, newest first, at most ten.
	// +optional
	// +listType=atomic
	VerificationHistory []VerificationInfo `json:"verificationHistory,omitempty"`
}

// VerificationPhase is the phase of one verification.
// +kubebuilder:validation:Enum=Pending;Running;Successful;Failed;Error;Aborted;Inconclusive
type VerificationPhase string

// Verification phases.
const (
	VerificationPhasePending      VerificationPhase = "Pending"
	VerificationPhaseRunning      VerificationPhase = "Running"
	VerificationPhaseSuccessful   VerificationPhase = "Successful"
	VerificationPhaseFailed       VerificationPhase = "Failed"
	VerificationPhaseError        VerificationPhase = "Error"
	VerificationPhaseAborted      VerificationPhase = "Aborted"
	VerificationPhaseInconclusive VerificationPhase = "Inconclusive"
)

// VerificationInfo records one verification of a Freight collection.
type VerificationInfo struct {
	// ID of the verification.
	// +optional
	ID string `json:"id,omitempty"`
	// Actor who started it, if a person did.
	// +optional
	Actor string `json:"actor,omitempty"`
	// StartTime of the verification.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`
	// Phase of the verification.
	// +optional
	Phase VerificationPhase `json:"phase,omitempty"`
	// Message explains the phase.
	// +optional
	Message string `json:"message,omitempty"`
	// AnalysisRun is the Argo Rollouts AnalysisRun that carries out the
	// verification, when one was created.
	// +optional
	AnalysisRun *AnalysisRunReference `json:"analysisRun,omitempty"`
	// FinishTime of the verification.
	// +optional
	FinishTime *metav1.Time `json:"finishTime,omitempty"`
}

// AnalysisRunReference names an Argo Rollouts AnalysisRun and the phase it
// was last seen in.
type AnalysisRunReference struct {
	// Namespace of the AnalysisRun.
	Namespace string `json:"namespace"`
	// Name of the AnalysisRun.
	Name string `json:"name"`
	// Phase of the AnalysisRun when last observed.
	// +optional
	Phase string `json:"phase"`
}

// PromotionReference summarises a Promotion in Stage status.
type PromotionReference struct {
	// Name of the Promotion.
	// +kubebuilder:validation:Required
	Name string `json:"name"`
	// Freight being promoted.
	// +optional
	Freight *FreightReference `json:"freight,omitempty"`
	// Status of the Promotion when it finished.
	// +optional
	Status *PromotionStatus `json:"status,omitempty"`
	// FinishedAt is when the Promotion finished.
	// +optional
	FinishedAt *metav1.Time `json:"finishedAt,omitempty"`
}

// AutoPromotionHold stops auto-promotion of an origin after a person promoted
// Freight other than the newest (a rollback).
type AutoPromotionHold struct {
	// FreightName the person promoted.
	// +optional
	FreightName string `json:"freightName,omitempty"`
	// PromotionName that caused the hold.
	// +optional
	PromotionName string `json:"promotionName,omitempty"`
	// CreatedAt is when the hold began.
	// +optional
	CreatedAt *metav1.Time `json:"createdAt,omitempty"`
}

// StageStatus is what the controller observed of a Stage. Its nested
// objects and maps are atomic, as in PromotionStatus.
type StageStatus struct {
	// Conditions: Ready, Reconciling, Promoting, Healthy and Verified.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// LastHandledRefresh echoes the refresh annotation value last handled.
	// +optional
	LastHandledRefresh string `json:"lastHandledRefresh,omitempty"`
	// ObservedGeneration is the generation last reconciled.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// FreightHistory lists Freight collections, newest (current) first, at
	// most ten.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	FreightHistory []FreightCollection `json:"freightHistory,omitempty"`
	// FreightSummary is a short description of the current Freight for
	// kubectl get.
	// +optional
	FreightSummary string `json:"freightSummary,omitempty"`
	// Health of the Stage.
	// +optional
	// +structType=atomic
	Health *Health `json:"health,omitempty"`
	// CurrentPromotion is the one Promotion allowed to run now.
	// +optional
	// +structType=atomic
	CurrentPromotion *PromotionReference `json:"currentPromotion,omitempty"`
	// LastPromotion is the most recent finished Promotion.
	// +optional
	// +structType=atomic
	LastPromotion *PromotionReference `json:"lastPromotion,omitempty"`
	// AutoPromotionEnabled mirrors the ProjectConfig decision for this Stage.
	// +optional
	AutoPromotionEnabled bool `json:"autoPromotionEnabled,omitempty"`
	// AutoPromotionHolds maps origin strings to holds set by rollbacks.
	// +optional
	// +mapType=atomic
	AutoPromotionHolds map[string]AutoPromotionHold `json:"autoPromotionHolds,omitempty"`
	// Metadata is free-form data written by promotion steps.
	// +optional
	// +mapType=atomic
	Metadata map[string]apiextensionsv1.JSON `json:"metadata,omitempty"`
}

// Stage is an environment that Freight is promoted to.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=railyard
// +kubebuilder:printcolumn:name="Shard",type=string,JSONPath=`.spec.shard`
// +kubebuilder:printcolumn:name="Current Freight",type=string,JSONPath=`.status.freightSummary`
// +kubebuilder:printcolumn:name="Health",type=string,JSONPath=`.status.health.status`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Stage struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec describes the Stage.
	// +kubebuilder:validation:Required
	Spec StageSpec `json:"spec"`
	// Status is what the controller observed.
	// +optional
	Status StageStatus `json:"status,omitempty"`
}

// GetConditions returns the Stage's conditions.
func (s *Stage) GetConditions() []metav1.Condition { return s.Status.Conditions }

// SetConditions replaces the Stage's conditions.
func (s *Stage) SetConditions(c []metav1.Condition) { s.Status.Conditions = c }

// +kubebuilder:object:root=true

// StageList is a list of Stages.
type StageList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Stage `json:"items"`
}

func init() {
	register(&Stage{}, &StageList{})
}
