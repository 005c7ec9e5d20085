package v1alpha1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Freight is an immutable set of artifact versions from one Warehouse: the
// unit that moves from Stage to Stage. It is named by a hash of its origin
// and artifacts, so the same content never yields two Freight.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=railyard
// +kubebuilder:printcolumn:name="Alias",type=string,JSONPath=`.alias`
// +kubebuilder:printcolumn:name="Origin",type=string,JSONPath=`.origin.name`
// +kubebuilder:printcolumn:name="Images",type=string,JSONPath=`.images[*].tag`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="has(self.images) || has(self.charts) || has(self.commits)",message="Freight must contain at least one of images, charts or commits"
// +kubebuilder:validation:XValidation:rule="self.origin == oldSelf.origin",message="origin is immutable"
// +kubebuilder:validation:XValidation:rule="has(self.images) == has(oldSelf.images) && (!has(self.images) || self.images == oldSelf.images)",message="images are immutable"
// +kubebuilder:validation:XValidation:rule="has(self.charts) == has(oldSelf.charts) && (!has(self.charts) || self.charts == oldSelf.charts)",message="charts are immutable"
// +kubebuilder:validation:XValidation:rule="has(self.commits) == has(oldSelf.commits) && (!has(self.commits) || self.commits == oldSelf.commits)",message="commits are immutable"
type Freight struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Alias is a unique, human-friendly name, mirrored in the
	// railyard.dev/alias label. Generated when empty.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Alias string `json:"alias,omitempty"`
	// Origin is the Warehouse the Freight comes from.
	// +kubebuilder:validation:Required
	Origin FreightOrigin `json:"origin"`
	// DiscoveredAt is when the artifacts were discovered.
	// +optional
	DiscoveredAt *metav1.Time `json:"discoveredAt,omitempty"`
	// Commits are the git commits of the Freight, one per git subscription.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=50
	Commits []GitCommit `json:"commits,omitempty"`
	// Images are the images of the Freight, one per image subscription.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=50
	Images []Image `json:"images,omitempty"`
	// Charts are the Helm charts of the Freight, one per chart subscription.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=50
	Charts []Chart `json:"charts,omitempty"`
	// Status records where the Freight is and has been.
	// +optional
	Status FreightStatus `json:"status,omitempty"`
}

// GitCommit is one commit of a Freight.
type GitCommit struct {
	// RepoURL of the repository.
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	RepoURL string `json:"repoURL"`
	// ID is the commit hash.
	// +optional
	ID string `json:"id,omitempty"`
	// Branch the commit came from.
	// +optional
	Branch string `json:"branch,omitempty"`
	// Tag the commit was selected by.
	// +optional
	Tag string `json:"tag,omitempty"`
	// Message is the commit's subject.
	// +optional
	Message string `json:"message,omitempty"`
	// Author of the commit.
	// +optional
	Author string `json:"author,omitempty"`
	// Committer of the commit.
	// +optional
	Committer string `json:"committer,omitempty"`
	// SubscriptionName, if the subscription has one.
	// +optional
	SubscriptionName string `json:"subscriptionName,omitempty"`
}

// Image is one container image of a Freight.
type Image struct {
	// RepoURL of the image repository.
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	RepoURL string `json:"repoURL"`
	// Tag of the image.
	// +optional
	Tag string `json:"tag,omitempty"`
	// Digest of the image.
	// +optional
	Digest string `json:"digest,omitempty"`
	// Annotations of the image manifest.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
	// SubscriptionName, if the subscription has one.
	// +optional
	SubscriptionName string `json:"subscriptionName,omitempty"`
}

// Chart is one Helm chart of a Freight.
type Chart struct {
	// RepoURL of the chart repository or OCI reference.
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	RepoURL string `json:"repoURL"`
	// Name of the chart, for HTTP(S) repositories.
	// +optional
	Name string `json:"name,omitempty"`
	// Version of the chart.
	// +optional
	Version string `json:"version,omitempty"`
	// SubscriptionName, if the subscription has one.
	// +optional
	SubscriptionName string `json:"subscriptionName,omitempty"`
}

// FreightStatus records the Freight's life in Stages. Its maps are atomic,
// as in PromotionStatus.
type FreightStatus struct {
	// CurrentlyIn maps Stage names to when the Freight arrived there.
	// +optional
	// +mapType=atomic
	CurrentlyIn map[string]CurrentStage `json:"currentlyIn,omitempty"`
	// VerifiedIn maps Stage names to when the Freight was verified there.
	// +optional
	// +mapType=atomic
	VerifiedIn map[string]VerifiedStage `json:"verifiedIn,omitempty"`
	// ApprovedFor maps Stage names to when the Freight was approved for them.
	// +optional
	// +mapType=atomic
	ApprovedFor map[string]ApprovedStage `json:"approvedFor,omitempty"`
	// Metadata is free-form data written by promotion steps.
	// +optional
	// +mapType=atomic
	Metadata map[string]apiextensionsv1.JSON `json:"metadata,omitempty"`
}

// CurrentStage records when Freight arrived in a Stage.
type CurrentStage struct {
	// Since is when the Freight arrived.
	// +optional
	Since *metav1.Time `json:"since,omitempty"`
}

// VerifiedStage records when Freight was verified in a Stage and how long it
// has soaked there.
type VerifiedStage struct {
	// VerifiedAt is when the Freight was verified.
	// +optional
	VerifiedAt *metav1.Time `json:"verifiedAt,omitempty"`
	// LongestCompletedSoak is the longest continuous time the Freight spent in
	// the Stage, counted when it left.
	// +optional
	LongestCompletedSoak *metav1.Duration `json:"longestSoak,omitempty"`
}

// ApprovedStage records when Freight was approved for a Stage.
type ApprovedStage struct {
	// ApprovedAt is when the Freight was approved.
	// +optional
	ApprovedAt *metav1.Time `json:"approvedAt,omitempty"`
}

// +kubebuilder:object:root=true

// FreightList is a list of Freight.
type FreightList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Freight `json:"items"`
}

func init() {
	register(&Freight{}, &FreightList{})
}
