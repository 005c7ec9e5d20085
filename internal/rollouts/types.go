// Package rollouts builds, reads and aborts Argo Rollouts AnalysisRuns, the
// objects a Stage's verification creates for the Argo Rollouts controller to
// execute. It keeps Argo Rollouts' objects unstructured: templates are read,
// their metrics are copied into the run untouched, and only the fields
// Railyard reasons about (arguments, dry-run and measurement-retention
// entries, status phase and message) are typed. The root module does not
// depend on Argo Rollouts' Go module.
package rollouts

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// GroupVersion is Argo Rollouts' API group and version.
var GroupVersion = schema.GroupVersion{Group: "argoproj.io", Version: "v1alpha1"}

// Kinds of the Argo Rollouts objects this package handles.
const (
	KindAnalysisRun             = "AnalysisRun"
	KindAnalysisTemplate        = "AnalysisTemplate"
	KindClusterAnalysisTemplate = "ClusterAnalysisTemplate"
)

// Labels and annotations Railyard puts on the AnalysisRuns it creates.
const (
	// LabelStage names the Stage that verifies (shortened to a valid label
	// value with naming.LabelValue; AnnotationStage then has the full name).
	LabelStage = railyard.LabelStage
	// AnnotationStage has the Stage's full name when LabelStage had to be
	// shortened.
	AnnotationStage = railyard.Prefix + "stage"
	// LabelFreightCollection has the ID of the verified Freight collection
	// (Kargo: kargo.akuity.io/freight-collection). With LabelStage it finds
	// the runs of a Stage and collection (FindRuns).
	LabelFreightCollection = railyard.Prefix + "freight-collection"
	// LabelFreight names the verified Freight when the collection has exactly
	// one (Freight names are content addresses, valid label values).
	LabelFreight = railyard.Prefix + "freight"
	// AnnotationFreight lists every verified Freight, comma separated.
	AnnotationFreight = railyard.Prefix + "freight"
	// LabelPromotion names the Promotion whose completion started the
	// verification (shortened like LabelStage); absent for re-verifications.
	LabelPromotion = railyard.Prefix + "promotion"
	// AnnotationPromotion has the Promotion's full name (Kargo:
	// kargo.akuity.io/promotion annotation).
	AnnotationPromotion = railyard.AnnotationPromotion
	// AnnotationVerification has the ID of the verification the run
	// carries out, so that a reconcile reading an outdated Stage adopts the
	// run under the same ID instead of starting another.
	AnnotationVerification = railyard.Prefix + "verification"
	// AnnotationReverifies has the ID of the verification a
	// re-verification repeats (the ID its reverify request named).
	AnnotationReverifies = railyard.Prefix + "reverifies"
	// AnnotationActor has the person who asked for a re-verification.
	AnnotationActor = railyard.Prefix + "actor"
	// AnnotationMetricTemplates maps each metric of the run to the template
	// it came from (a JSON object, e.g. {"smoke":"AnalysisTemplate \"smoke\""}),
	// so that Argo Rollouts' messages about a metric can name its template.
	AnnotationMetricTemplates = railyard.Prefix + "metric-templates"
	// LabelControllerInstanceID assigns a run to one Argo Rollouts
	// controller instance (its --instance-id); Argo Rollouts' own key.
	LabelControllerInstanceID = "argo-rollouts.argoproj.io/controller-instance-id"
)

// Argument is an analysis argument as Argo Rollouts declares it: a literal
// value, or a value read from a Secret or a field of the run.
type Argument struct {
	Name      string     `json:"name"`
	Value     *string    `json:"value,omitempty"`
	ValueFrom *ValueFrom `json:"valueFrom,omitempty"`
}

// ValueFrom is where an argument's value comes from; it is kept as Argo
// Rollouts wrote it.
type ValueFrom struct {
	SecretKeyRef *SecretKeyRef `json:"secretKeyRef,omitempty"`
	FieldRef     *FieldRef     `json:"fieldRef,omitempty"`
}

// SecretKeyRef selects a key of a Secret in the run's namespace.
type SecretKeyRef struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// FieldRef selects a field of the run (for example metadata.labels['x']).
type FieldRef struct {
	FieldPath string `json:"fieldPath"`
}

// DryRun marks metrics (by name or regular expression) whose failure does
// not fail the run.
type DryRun struct {
	MetricName string `json:"metricName"`
}

// MeasurementRetention is how many measurements of a metric the run keeps.
type MeasurementRetention struct {
	MetricName string `json:"metricName"`
	Limit      int32  `json:"limit"`
}

// TemplateRef is a nested template reference inside a template's spec
// (spec.templates), resolved like the Stage's own references.
type TemplateRef struct {
	TemplateName string `json:"templateName"`
	ClusterScope bool   `json:"clusterScope,omitempty"`
}

// TemplateSpec is the spec of an AnalysisTemplate or
// ClusterAnalysisTemplate. Metrics stay opaque (each one a JSON object as the
// API server returned it) so that every provider Argo Rollouts supports is
// carried over exactly.
type TemplateSpec struct {
	Metrics              []map[string]any       `json:"metrics,omitempty"`
	Args                 []Argument             `json:"args,omitempty"`
	DryRun               []DryRun               `json:"dryRun,omitempty"`
	MeasurementRetention []MeasurementRetention `json:"measurementRetention,omitempty"`
	Templates            []TemplateRef          `json:"templates,omitempty"`
}

// RunSpec is the spec of an AnalysisRun as Railyard creates it.
type RunSpec struct {
	Metrics              []map[string]any       `json:"metrics"`
	Args                 []Argument             `json:"args,omitempty"`
	DryRun               []DryRun               `json:"dryRun,omitempty"`
	MeasurementRetention []MeasurementRetention `json:"measurementRetention,omitempty"`
	Terminate            bool                   `json:"terminate,omitempty"`
}
