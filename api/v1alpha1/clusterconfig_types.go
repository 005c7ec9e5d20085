package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ClusterConfigName is the only name a ClusterConfig may have, as in Kargo.
const ClusterConfigName = "cluster"

// ClusterConfigSpec holds cluster-wide settings.
type ClusterConfigSpec struct {
	// WebhookReceivers are cluster-wide receivers: they refresh matching
	// Warehouses of every project. Their Secrets live in the system resources
	// namespace.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=50
	WebhookReceivers []WebhookReceiverConfig `json:"webhookReceivers,omitempty"`
}

// ClusterConfigStatus is what the controller observed.
type ClusterConfigStatus struct {
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

// ClusterConfig holds cluster-wide configuration: webhook receivers that
// serve every project. There is at most one, named "cluster".
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories=railyard
// +kubebuilder:validation:XValidation:rule="self.metadata.name == 'cluster'",message="a ClusterConfig must be named cluster"
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
// +kubebuilder:printcolumn:name="Receivers",type=string,priority=1,JSONPath=`.status.webhookReceivers[*].url`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ClusterConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec of the configuration.
	// +optional
	Spec ClusterConfigSpec `json:"spec,omitempty"`
	// Status is what the controller observed.
	// +optional
	Status ClusterConfigStatus `json:"status,omitempty"`
}

// GetConditions returns the ClusterConfig's conditions.
func (c *ClusterConfig) GetConditions() []metav1.Condition { return c.Status.Conditions }

// SetConditions replaces the ClusterConfig's conditions.
func (c *ClusterConfig) SetConditions(conds []metav1.Condition) { c.Status.Conditions = conds }

// +kubebuilder:object:root=true

// ClusterConfigList is a list of ClusterConfigs.
type ClusterConfigList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterConfig `json:"items"`
}

func init() {
	register(&ClusterConfig{}, &ClusterConfigList{})
}
