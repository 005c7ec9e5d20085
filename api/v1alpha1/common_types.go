package v1alpha1

import (
	"strconv"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ExpressionVariable is a named value, visible to promotion steps as
// vars.<name>. Values may contain ${{ }} expressions.
type ExpressionVariable struct {
	// Name of the variable.
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:Pattern=`^[a-zA-Z_]\w*$`
	Name string `json:"name"`
	// Value of the variable. It may contain expressions.
	// +optional
	Value string `json:"value,omitempty"`
}

// FreightOriginKind is the kind of object Freight comes from.
// +kubebuilder:validation:Enum=Warehouse
type FreightOriginKind string

// FreightOriginKindWarehouse is the only origin kind.
const FreightOriginKindWarehouse FreightOriginKind = "Warehouse"

// FreightOrigin names where Freight comes from.
type FreightOrigin struct {
	// Kind of the origin. Only Warehouse.
	// +kubebuilder:validation:Required
	Kind FreightOriginKind `json:"kind"`
	// Name of the origin.
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// String renders the origin as "<kind>/<name>", the form used as map keys in
// Freight collections.
func (o FreightOrigin) String() string {
	return string(o.Kind) + "/" + o.Name
}

// Equals reports whether two origins name the same object.
func (o FreightOrigin) Equals(other FreightOrigin) bool {
	return o.Kind == other.Kind && o.Name == other.Name
}

// PromotionTaskReferenceKind is the kind of a referenced task.
// +kubebuilder:validation:Enum=PromotionTask;ClusterPromotionTask
type PromotionTaskReferenceKind string

// Kinds of promotion tasks.
const (
	PromotionTaskKind        PromotionTaskReferenceKind = "PromotionTask"
	ClusterPromotionTaskKind PromotionTaskReferenceKind = "ClusterPromotionTask"
)

// PromotionTaskReference names a PromotionTask or ClusterPromotionTask whose
// steps are inlined in place of the referencing step.
type PromotionTaskReference struct {
	// Name of the task.
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// Kind of the task: PromotionTask (in the project namespace, the default)
	// or ClusterPromotionTask.
	// +optional
	Kind PromotionTaskReferenceKind `json:"kind,omitempty"`
}

// PromotionStepRetry bounds how a step is retried.
type PromotionStepRetry struct {
	// Timeout is the longest a step may keep running or retrying, counted from
	// its first start. Zero means the step's own default.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	Timeout *metav1.Duration `json:"timeout,omitempty"`
	// ErrorThreshold is the number of consecutive errors after which the step
	// fails. Zero means the step's own default (one: no retries).
	// +optional
	ErrorThreshold uint32 `json:"errorThreshold,omitempty"`
}

// A step's rules sit on the lists of steps people write (a Stage's
// template, a task), not on the type: a Promotion's steps are the
// manager's copy of those, checked already, and rules on the type were
// evaluated for every step on every status write of every Promotion.

// PromotionStep is one step of a promotion: a built-in step (`uses`) or a
// reference to a task whose steps are inlined (`task`).
type PromotionStep struct {
	// Uses names the built-in step to run, such as git-clone.
	// +optional
	// +kubebuilder:validation:MinLength=1
	Uses string `json:"uses,omitempty"`
	// Task references a PromotionTask or ClusterPromotionTask.
	// +optional
	Task *PromotionTaskReference `json:"task,omitempty"`
	// As is the step's alias; outputs are published under it. Defaults to
	// step-<n> or task-<n>.
	// +optional
	// +kubebuilder:validation:Pattern=`^[a-zA-Z_][a-zA-Z0-9_-]*(::[a-zA-Z_][a-zA-Z0-9_-]*)*$`
	As string `json:"as,omitempty"`
	// If is an expression deciding whether the step runs. By default a step is
	// skipped once an earlier step failed.
	// +optional
	If string `json:"if,omitempty"`
	// ContinueOnError lets the promotion go on when this step fails.
	// +optional
	ContinueOnError bool `json:"continueOnError,omitempty"`
	// Retry bounds retries of this step.
	// +optional
	Retry *PromotionStepRetry `json:"retry,omitempty"`
	// Vars are step-scoped variables; they may read outputs of earlier steps.
	// +optional
	// +listType=atomic
	Vars []ExpressionVariable `json:"vars,omitempty"`
	// Config is the step's configuration. Any string value may contain
	// expressions.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Config *apiextensionsv1.JSON `json:"config,omitempty"`
}

// GetAlias returns the step's alias, or the default for its position.
func (s *PromotionStep) GetAlias(index int) string {
	if s.As != "" {
		return s.As
	}
	if s.Task != nil {
		return "task-" + strconv.Itoa(index+1)
	}
	return "step-" + strconv.Itoa(index+1)
}
