package v1alpha1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// FreightCreationPolicy decides whether a Warehouse creates Freight by itself.
// +kubebuilder:validation:Enum=Automatic;Manual
type FreightCreationPolicy string

// Freight creation policies.
const (
	// FreightCreationPolicyAutomatic creates Freight from the newest
	// artifacts when the creation criteria hold.
	FreightCreationPolicyAutomatic FreightCreationPolicy = "Automatic"
	// FreightCreationPolicyManual creates no Freight; people create it.
	FreightCreationPolicyManual FreightCreationPolicy = "Manual"
)

// WarehouseSpec describes what a Warehouse subscribes to.
type WarehouseSpec struct {
	// Shard assigns the Warehouse to a controller shard.
	// +optional
	Shard string `json:"shard,omitempty"`
	// Interval is the time between discoveries.
	// +optional
	// +kubebuilder:default="5m0s"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(s|m|h))+$`
	Interval *metav1.Duration `json:"interval,omitempty"`
	// FreightCreationPolicy decides whether Freight is created automatically.
	// +optional
	// +kubebuilder:default=Automatic
	FreightCreationPolicy FreightCreationPolicy `json:"freightCreationPolicy,omitempty"`
	// FreightCreationCriteria must hold for Freight to be created
	// automatically.
	// +optional
	FreightCreationCriteria *FreightCreationCriteria `json:"freightCreationCriteria,omitempty"`
	// Subscriptions are the sources of artifacts, one per image, chart or git
	// repository.
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=50
	// +listType=atomic
	Subscriptions []RepoSubscription `json:"subscriptions"`
}

// DefaultInterval is the time between discoveries when spec.interval is
// unset (the schema also defaults it).
const DefaultInterval = 5 * time.Minute

// GetInterval returns spec.interval, or DefaultInterval.
func (s *WarehouseSpec) GetInterval() time.Duration {
	if s.Interval == nil || s.Interval.Duration <= 0 {
		return DefaultInterval
	}
	return s.Interval.Duration
}

// FreightCreationCriteria gates automatic Freight creation.
type FreightCreationCriteria struct {
	// Expression is an expr-lang expression, without ${{ }}, that must yield
	// a boolean, for example `imageFrom('repo').Tag matches '^v?[0-9]+'`.
	// +optional
	Expression string `json:"expression,omitempty"`
}

// WarehouseStatus is what the controller observed. Its nested objects are
// atomic, as in PromotionStatus.
type WarehouseStatus struct {
	// Conditions: Ready, Reconciling, Healthy,
	// FreightCreationCriteriaSatisfied and FreightCreated.
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
	// LastFreightID is the name of the newest Freight this Warehouse produced.
	// +optional
	LastFreightID string `json:"lastFreightID,omitempty"`
	// DiscoveredArtifacts holds the result of the last discovery.
	// +optional
	// +structType=atomic
	DiscoveredArtifacts *DiscoveredArtifacts `json:"discoveredArtifacts,omitempty"`
	// Subscriptions reports per subscription when it was last discovered and
	// its last error.
	// +optional
	// +listType=atomic
	Subscriptions []SubscriptionStatus `json:"subscriptions,omitempty"`
}

// SubscriptionStatus is the discovery state of one subscription.
type SubscriptionStatus struct {
	// Kind is image, chart or git.
	Kind string `json:"kind"`
	// RepoURL identifies the subscription.
	RepoURL string `json:"repoURL"`
	// Name is the chart name or subscription name, where there is one.
	// +optional
	Name string `json:"name,omitempty"`
	// LastDiscoveredAt is when discovery of this subscription last succeeded.
	// +optional
	LastDiscoveredAt *metav1.Time `json:"lastDiscoveredAt,omitempty"`
	// LastError is the error of the last attempt, empty after a success.
	// +optional
	LastError string `json:"lastError,omitempty"`
	// Fingerprint summarises the source's state (for example its refs) at the
	// last discovery, so an unchanged source can be skipped cheaply.
	// +optional
	Fingerprint string `json:"fingerprint,omitempty"`
}

// DiscoveredArtifacts is the newest-first result of a discovery, one entry
// per subscription.
type DiscoveredArtifacts struct {
	// DiscoveredAt is when the discovery finished.
	// +optional
	DiscoveredAt metav1.Time `json:"discoveredAt,omitempty"`
	// Git holds discovered commits per git subscription.
	// +optional
	// +listType=atomic
	Git []GitDiscoveryResult `json:"git,omitempty"`
	// Images holds discovered images per image subscription.
	// +optional
	// +listType=atomic
	Images []ImageDiscoveryResult `json:"images,omitempty"`
	// Charts holds discovered versions per chart subscription.
	// +optional
	// +listType=atomic
	Charts []ChartDiscoveryResult `json:"charts,omitempty"`
}

// GitDiscoveryResult lists the commits found in one repository.
type GitDiscoveryResult struct {
	// RepoURL of the repository.
	RepoURL string `json:"repoURL"`
	// SubscriptionName, if the subscription has one.
	// +optional
	SubscriptionName string `json:"subscriptionName,omitempty"`
	// Commits, newest first.
	// +optional
	// +listType=atomic
	Commits []DiscoveredCommit `json:"commits,omitempty"`
}

// DiscoveredCommit is a commit found by discovery.
type DiscoveredCommit struct {
	// ID is the commit hash.
	// +optional
	ID string `json:"id,omitempty"`
	// Branch the commit was found on.
	// +optional
	Branch string `json:"branch,omitempty"`
	// Tag the commit was found by.
	// +optional
	Tag string `json:"tag,omitempty"`
	// Subject is the first line of the message, at most 80 characters.
	// +optional
	Subject string `json:"subject,omitempty"`
	// Author of the commit.
	// +optional
	Author string `json:"author,omitempty"`
	// Committer of the commit.
	// +optional
	Committer string `json:"committer,omitempty"`
	// CreatorDate is the commit or tag date.
	// +optional
	CreatorDate *metav1.Time `json:"creatorDate,omitempty"`
}

// ImageDiscoveryResult lists the images found in one repository.
type ImageDiscoveryResult struct {
	// RepoURL of the repository.
	RepoURL string `json:"repoURL"`
	// Platform the images were selected for.
	// +optional
	Platform string `json:"platform,omitempty"`
	// SubscriptionName, if the subscription has one.
	// +optional
	SubscriptionName string `json:"subscriptionName,omitempty"`
	// References, newest first.
	// +optional
	// +listType=atomic
	References []DiscoveredImageReference `json:"references,omitempty"`
}

// DiscoveredImageReference is an image found by discovery.
type DiscoveredImageReference struct {
	// Tag of the image.
	Tag string `json:"tag"`
	// Digest of the image's manifest or index.
	Digest string `json:"digest"`
	// Annotations of the image manifest.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
	// CreatedAt is the image's build time, when known.
	// +optional
	CreatedAt *metav1.Time `json:"createdAt,omitempty"`
}

// ChartDiscoveryResult lists the versions found of one chart.
type ChartDiscoveryResult struct {
	// RepoURL of the repository.
	RepoURL string `json:"repoURL"`
	// Name of the chart, for HTTP(S) repositories.
	// +optional
	Name string `json:"name,omitempty"`
	// SemverConstraint the versions were filtered with.
	// +optional
	SemverConstraint string `json:"semverConstraint,omitempty"`
	// SubscriptionName, if the subscription has one.
	// +optional
	SubscriptionName string `json:"subscriptionName,omitempty"`
	// Versions, newest first.
	// +optional
	// +listType=atomic
	Versions []string `json:"versions,omitempty"`
}

// Warehouse subscribes to image, chart and git repositories and produces
// Freight from what it discovers there.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=railyard
// +kubebuilder:printcolumn:name="Shard",type=string,JSONPath=`.spec.shard`
// +kubebuilder:printcolumn:name="Last Freight",type=string,JSONPath=`.status.lastFreightID`,priority=1
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Warehouse struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec describes the subscriptions.
	// +kubebuilder:validation:Required
	Spec WarehouseSpec `json:"spec"`
	// Status is what the controller observed.
	// +optional
	Status WarehouseStatus `json:"status,omitempty"`
}

// GetConditions returns the Warehouse's conditions.
func (w *Warehouse) GetConditions() []metav1.Condition { return w.Status.Conditions }

// SetConditions replaces the Warehouse's conditions.
func (w *Warehouse) SetConditions(c []metav1.Condition) { w.Status.Conditions = c }

// +kubebuilder:object:root=true

// WarehouseList is a list of Warehouses.
type WarehouseList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Warehouse `json:"items"`
}

func init() {
	register(&Warehouse{}, &WarehouseList{})
}
