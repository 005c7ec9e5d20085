package argocd

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Well-known annotation Argo CD's application controller acts on.
const (
	// AnnotationRefresh asks Argo CD to compare the Application again
	// ("normal") or also regenerate manifests ("hard").
	AnnotationRefresh = "argocd.argoproj.io/refresh"
)

// +kubebuilder:object:root=true

// Application is the part of an Argo CD Application that Railyard uses.
type Application struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec      ApplicationSpec   `json:"spec"`
	Operation *Operation        `json:"operation,omitempty"`
	Status    ApplicationStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ApplicationList is a list of Applications.
type ApplicationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Application `json:"items"`
}

// ApplicationSpec holds where an Application's manifests come from.
type ApplicationSpec struct {
	// Source is set on single-source Applications.
	Source *ApplicationSource `json:"source,omitempty"`
	// Sources is set on multi-source Applications (and wins over Source).
	Sources []ApplicationSource `json:"sources,omitempty"`
	// SyncPolicy is read to copy its retry and sync options into the
	// operations we request, as Argo CD does for its own syncs.
	SyncPolicy *SyncPolicy `json:"syncPolicy,omitempty"`
}

// ApplicationSource is one source of manifests.
type ApplicationSource struct {
	RepoURL        string                      `json:"repoURL"`
	TargetRevision string                      `json:"targetRevision,omitempty"`
	Path           string                      `json:"path,omitempty"`
	Chart          string                      `json:"chart,omitempty"`
	Kustomize      *ApplicationSourceKustomize `json:"kustomize,omitempty"`
	Helm           *ApplicationSourceHelm      `json:"helm,omitempty"`
}

// ApplicationSourceKustomize holds the kustomize options we change.
type ApplicationSourceKustomize struct {
	// Images are overrides in kustomize's "[old=]new[:tag][@digest]" form.
	Images []string `json:"images,omitempty"`
}

// ApplicationSourceHelm holds the Helm options we change.
type ApplicationSourceHelm struct {
	Parameters []HelmParameter `json:"parameters,omitempty"`
}

// HelmParameter is one `--set` value.
type HelmParameter struct {
	Name        string `json:"name,omitempty"`
	Value       string `json:"value,omitempty"`
	ForceString bool   `json:"forceString,omitempty"`
}

// SyncPolicy is the part of an Application's sync policy that a requested
// operation should honour.
type SyncPolicy struct {
	SyncOptions []string       `json:"syncOptions,omitempty"`
	Retry       *RetryStrategy `json:"retry,omitempty"`
}

// RetryStrategy is how Argo CD retries a failed sync.
type RetryStrategy struct {
	Limit   int64    `json:"limit,omitempty"`
	Backoff *Backoff `json:"backoff,omitempty"`
	Refresh bool     `json:"refresh,omitempty"`
}

// Backoff is the delay between sync retries.
type Backoff struct {
	Duration    string `json:"duration,omitempty"`
	Factor      *int64 `json:"factor,omitempty"`
	MaxDuration string `json:"maxDuration,omitempty"`
}

// Operation is a requested (or, in status, running or finished) operation.
type Operation struct {
	Sync        *SyncOperation     `json:"sync,omitempty"`
	InitiatedBy OperationInitiator `json:"initiatedBy,omitempty"`
	Info        []Info             `json:"info,omitempty"`
	Retry       *RetryStrategy     `json:"retry,omitempty"`
}

// SyncOperation asks Argo CD to sync to a revision (single source) or to
// revisions (one per source).
type SyncOperation struct {
	Revision    string   `json:"revision,omitempty"`
	Revisions   []string `json:"revisions,omitempty"`
	SyncOptions []string `json:"syncOptions,omitempty"`
}

// OperationInitiator says who asked for an operation.
type OperationInitiator struct {
	Username  string `json:"username,omitempty"`
	Automated bool   `json:"automated,omitempty"`
}

// Info is a name/value pair Argo CD shows with an operation.
type Info struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ApplicationStatus is what Argo CD's application controller reports.
type ApplicationStatus struct {
	Sync           SyncStatus             `json:"sync,omitempty"`
	Health         HealthStatus           `json:"health,omitempty"`
	OperationState *OperationState        `json:"operationState,omitempty"`
	ReconciledAt   *metav1.Time           `json:"reconciledAt,omitempty"`
	Conditions     []ApplicationCondition `json:"conditions,omitempty"`
}

// SyncStatus compares the live state with the desired revision(s).
type SyncStatus struct {
	Status    SyncStatusCode `json:"status,omitempty"`
	Revision  string         `json:"revision,omitempty"`
	Revisions []string       `json:"revisions,omitempty"`
}

// SyncStatusCode is Synced, OutOfSync or Unknown.
type SyncStatusCode string

// Sync status codes.
const (
	SyncStatusSynced    SyncStatusCode = "Synced"
	SyncStatusOutOfSync SyncStatusCode = "OutOfSync"
	SyncStatusUnknown   SyncStatusCode = "Unknown"
)

// HealthStatus is the health of an Application's resources.
type HealthStatus struct {
	Status  HealthStatusCode `json:"status,omitempty"`
	Message string           `json:"message,omitempty"`
}

// HealthStatusCode is Argo CD's health of an Application.
type HealthStatusCode string

// Health status codes.
const (
	HealthStatusHealthy     HealthStatusCode = "Healthy"
	HealthStatusProgressing HealthStatusCode = "Progressing"
	HealthStatusSuspended   HealthStatusCode = "Suspended"
	HealthStatusDegraded    HealthStatusCode = "Degraded"
	HealthStatusMissing     HealthStatusCode = "Missing"
	HealthStatusUnknown     HealthStatusCode = "Unknown"
)

// OperationState is the progress of the current or last operation.
type OperationState struct {
	Operation  Operation            `json:"operation"`
	Phase      OperationPhase       `json:"phase"`
	Message    string               `json:"message,omitempty"`
	SyncResult *SyncOperationResult `json:"syncResult,omitempty"`
	StartedAt  metav1.Time          `json:"startedAt"`
	FinishedAt *metav1.Time         `json:"finishedAt,omitempty"`
}

// OperationPhase is the phase of an operation.
type OperationPhase string

// Operation phases.
const (
	OperationRunning     OperationPhase = "Running"
	OperationTerminating OperationPhase = "Terminating"
	OperationFailed      OperationPhase = "Failed"
	OperationError       OperationPhase = "Error"
	OperationSucceeded   OperationPhase = "Succeeded"
)

// Completed reports whether the phase is final.
func (p OperationPhase) Completed() bool {
	return p == OperationFailed || p == OperationError || p == OperationSucceeded
}

// SyncOperationResult is the revision(s) a sync applied.
type SyncOperationResult struct {
	Revision  string   `json:"revision"`
	Revisions []string `json:"revisions,omitempty"`
}

// ApplicationCondition is an error or warning Argo CD reports.
type ApplicationCondition struct {
	Type               string       `json:"type"`
	Message            string       `json:"message"`
	LastTransitionTime *metav1.Time `json:"lastTransitionTime,omitempty"`
}

// Condition types that make an Application's health meaningless.
const (
	ConditionComparisonError  = "ComparisonError"
	ConditionInvalidSpecError = "InvalidSpecError"
)
