package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ProjectConfigSpec holds project-wide settings. A ProjectConfig must be named
// like its namespace.
type ProjectConfigSpec struct {
	// PromotionPolicies decide, per Stage, whether auto-promotion is on. They
	// are tried in order; the first that matches a Stage wins.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	PromotionPolicies []PromotionPolicy `json:"promotionPolicies,omitempty"`
	// WebhookReceivers accept notifications from registries and git hosts
	// that trigger a Warehouse refresh.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=50
	WebhookReceivers []WebhookReceiverConfig `json:"webhookReceivers,omitempty"`
}

// PromotionPolicy sets auto-promotion for the Stages it selects.
// +kubebuilder:validation:XValidation:rule="(has(self.stage) && size(self.stage) > 0) != has(self.stageSelector)",message="a promotion policy must set exactly one of stage or stageSelector"
type PromotionPolicy struct {
	// Stage names one Stage. Deprecated in Kargo in favour of stageSelector.
	// +optional
	Stage string `json:"stage,omitempty"`
	// StageSelector selects Stages by name and labels.
	// +optional
	StageSelector *PromotionPolicySelector `json:"stageSelector,omitempty"`
	// AutoPromotionEnabled turns auto-promotion on for the selected Stages.
	// +optional
	AutoPromotionEnabled bool `json:"autoPromotionEnabled,omitempty"`
}

// PromotionPolicySelector selects Stages. Name and labels are ANDed.
type PromotionPolicySelector struct {
	// Name is an exact name, `glob:<pattern>` or `regex:<expression>`.
	// +optional
	Name string `json:"name,omitempty"`
	// LabelSelector selects Stages by label.
	// +optional
	*metav1.LabelSelector `json:",inline"`
}

// WebhookReceiverConfig configures one webhook receiver.
type WebhookReceiverConfig struct {
	// Name of the receiver.
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// GitHub receiver.
	// +optional
	GitHub *WebhookReceiverDetails `json:"github,omitempty"`
	// GitLab receiver.
	// +optional
	GitLab *WebhookReceiverDetails `json:"gitlab,omitempty"`
	// Gitea receiver.
	// +optional
	Gitea *WebhookReceiverDetails `json:"gitea,omitempty"`
	// Bitbucket receiver.
	// +optional
	Bitbucket *WebhookReceiverDetails `json:"bitbucket,omitempty"`
	// DockerHub receiver.
	// +optional
	DockerHub *WebhookReceiverDetails `json:"dockerhub,omitempty"`
	// Quay receiver.
	// +optional
	Quay *WebhookReceiverDetails `json:"quay,omitempty"`
	// Harbor receiver.
	// +optional
	Harbor *WebhookReceiverDetails `json:"harbor,omitempty"`
	// Artifactory receiver.
	// +optional
	Artifactory *WebhookReceiverDetails `json:"artifactory,omitempty"`
	// Azure receiver.
	// +optional
	Azure *WebhookReceiverDetails `json:"azure,omitempty"`
	// Generic receiver.
	// +optional
	Generic *WebhookReceiverDetails `json:"generic,omitempty"`
}

// WebhookReceiverDetails names the Secret holding the receiver's shared
// secret. Provider-specific fields are kept as written.
// +kubebuilder:pruning:PreserveUnknownFields
type WebhookReceiverDetails struct {
	// SecretRef names a Secret in the project namespace.
	// +kubebuilder:validation:Required
	SecretRef corev1.LocalObjectReference `json:"secretRef"`
}

// WebhookReceiverStatus tells where a receiver listens.
type WebhookReceiverStatus struct {
	// Name of the receiver.
	Name string `json:"name"`
	// Path the receiver listens on.
	// +optional
	Path string `json:"path,omitempty"`
	// URL the receiver listens on.
	// +optional
	URL string `json:"url,omitempty"`
}

// ProjectConfigStatus is what the controller observed.
type ProjectConfigStatus struct {
	// Conditions: Ready.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// ObservedGeneration is the generation last reconciled.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// LastHandledRefresh echoes the refresh annotation value last handled.
	// +optional
	LastHandledRefresh string `json:"lastHandledRefresh,omitempty"`
	// WebhookReceivers lists where receivers listen.
	// +optional
	// +listType=atomic
	WebhookReceivers []WebhookReceiverStatus `json:"webhookReceivers,omitempty"`
}

// ProjectConfig holds a project's promotion policies and webhook receivers.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=railyard
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ProjectConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec of the configuration.
	// +optional
	Spec ProjectConfigSpec `json:"spec,omitempty"`
	// Status is what the controller observed.
	// +optional
	Status ProjectConfigStatus `json:"status,omitempty"`
}

// GetConditions returns the ProjectConfig's conditions.
func (p *ProjectConfig) GetConditions() []metav1.Condition { return p.Status.Conditions }

// SetConditions replaces the ProjectConfig's conditions.
func (p *ProjectConfig) SetConditions(c []metav1.Condition) { p.Status.Conditions = c }

// +kubebuilder:object:root=true

// ProjectConfigList is a list of ProjectConfigs.
type ProjectConfigList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ProjectConfig `json:"items"`
}

func init() {
	register(&ProjectConfig{}, &ProjectConfigList{})
}
