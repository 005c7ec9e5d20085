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

// WebhookReceiverConfig configures one webhook receiver. Exactly one
// provider is set.
// +kubebuilder:validation:XValidation:rule="[has(self.github), has(self.gitlab), has(self.gitea), has(self.bitbucket), has(self.dockerhub), has(self.quay), has(self.harbor), has(self.artifactory), has(self.azure), has(self.generic), has(self.ecr)].filter(x, x).size() == 1",message="a webhook receiver must set exactly one provider"
type WebhookReceiverConfig struct {
	// Name of the receiver; with the project and the secret it makes the
	// receiver's path.
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Name string `json:"name"`
	// GitHub receiver: the Secret's `secret` key is the webhook secret
	// (X-Hub-Signature-256).
	// +optional
	GitHub *WebhookReceiverDetails `json:"github,omitempty"`
	// GitLab receiver: the Secret's `secret-token` key is the token GitLab
	// sends (X-Gitlab-Token).
	// +optional
	GitLab *WebhookReceiverDetails `json:"gitlab,omitempty"`
	// Gitea receiver: the Secret's `secret` key is the webhook secret
	// (X-Gitea-Signature).
	// +optional
	Gitea *WebhookReceiverDetails `json:"gitea,omitempty"`
	// Bitbucket receiver: the Secret's `secret` key is the webhook secret
	// (X-Hub-Signature).
	// +optional
	Bitbucket *WebhookReceiverDetails `json:"bitbucket,omitempty"`
	// DockerHub receiver: the Secret's `secret` key only makes the path
	// unguessable; Docker Hub does not sign.
	// +optional
	DockerHub *WebhookReceiverDetails `json:"dockerhub,omitempty"`
	// Quay receiver: authenticated by its path, like DockerHub.
	// +optional
	Quay *WebhookReceiverDetails `json:"quay,omitempty"`
	// Harbor receiver: the Secret's `auth-header` key is the Authorization
	// header Harbor sends.
	// +optional
	Harbor *WebhookReceiverDetails `json:"harbor,omitempty"`
	// Artifactory receiver: the Secret's `secret-token` key is the webhook
	// secret (X-Jfrog-Event-Auth).
	// +optional
	Artifactory *WebhookReceiverDetails `json:"artifactory,omitempty"`
	// Azure receiver for Azure Container Registry and Azure DevOps,
	// authenticated by its path.
	// +optional
	Azure *WebhookReceiverDetails `json:"azure,omitempty"`
	// Generic receiver: refreshes the Warehouses its actions select,
	// authenticated by its path.
	// +optional
	Generic *WebhookReceiverDetails `json:"generic,omitempty"`
	// ECR receiver (Railyard only): Amazon EventBridge "ECR Image Action"
	// events sent by an API destination. The Secret's `secret` key makes the
	// path and must also arrive as the Authorization header (optionally
	// prefixed "Bearer ").
	// +optional
	ECR *WebhookReceiverDetails `json:"ecr,omitempty"`
}

// WebhookReceiverDetails configures one provider of a receiver. Only
// secretRef applies to every provider; virtualRepoName is Artifactory's and
// actions are the generic receiver's.
// +kubebuilder:pruning:PreserveUnknownFields
type WebhookReceiverDetails struct {
	// SecretRef names a Secret in the project namespace (for a
	// ClusterConfig, in the system resources namespace).
	// +kubebuilder:validation:Required
	SecretRef corev1.LocalObjectReference `json:"secretRef"`
	// VirtualRepoName (Artifactory) replaces the payload's local repository
	// key, for Warehouses that subscribe through a virtual repository.
	// +optional
	VirtualRepoName string `json:"virtualRepoName,omitempty"`
	// Actions (generic) say what a delivery does.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	Actions []GenericWebhookAction `json:"actions,omitempty"`
}

// GenericWebhookActionType is what a generic receiver's action does.
// +kubebuilder:validation:Enum=Refresh
type GenericWebhookActionType string

// GenericWebhookActionRefresh refreshes the selected resources.
const GenericWebhookActionRefresh GenericWebhookActionType = "Refresh"

// GenericWebhookAction is one action of a generic receiver.
type GenericWebhookAction struct {
	// ActionType is what the action does; only Refresh exists.
	// +kubebuilder:validation:Required
	ActionType GenericWebhookActionType `json:"action"`
	// WhenExpression, when set, must be true of the request for the action
	// to run.
	// +optional
	WhenExpression string `json:"whenExpression,omitempty"`
	// Parameters are static values or ${{ }} expressions over the request,
	// available to the selectors as params.
	// +optional
	Parameters map[string]string `json:"parameters,omitempty"`
	// TargetSelectionCriteria select the resources to act on; a resource is
	// selected when any one criterion selects it.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	TargetSelectionCriteria []GenericWebhookTargetSelectionCriteria `json:"targetSelectionCriteria,omitempty"`
}

// GenericWebhookTargetKind is the kind a generic action selects.
// +kubebuilder:validation:Enum=Warehouse
type GenericWebhookTargetKind string

// GenericWebhookTargetWarehouse selects Warehouses.
const GenericWebhookTargetWarehouse GenericWebhookTargetKind = "Warehouse"

// GenericWebhookTargetSelectionCriteria selects resources of one kind by
// name, labels and indices; every field that is set must match.
type GenericWebhookTargetSelectionCriteria struct {
	// Kind of the target; only Warehouse.
	// +kubebuilder:validation:Required
	Kind GenericWebhookTargetKind `json:"kind"`
	// Name of the target, static or an expression.
	// +optional
	Name string `json:"name,omitempty"`
	// LabelSelector selects targets by label.
	// +optional
	LabelSelector metav1.LabelSelector `json:"labelSelector,omitempty"`
	// IndexSelector selects targets by indexed values.
	// +optional
	IndexSelector IndexSelector `json:"indexSelector,omitempty"`
}

// IndexSelector selects resources by values of well-known indices.
type IndexSelector struct {
	// MatchIndices must all hold.
	// +optional
	// +listType=atomic
	MatchIndices []IndexSelectorRequirement `json:"matchIndices,omitempty"`
}

// IndexSelectorOperator compares an index value.
// +kubebuilder:validation:Enum=Equals;NotEquals
type IndexSelectorOperator string

// Index selector operators.
const (
	IndexSelectorEquals    IndexSelectorOperator = "Equals"
	IndexSelectorNotEquals IndexSelectorOperator = "NotEquals"
)

// IndexSelectorRequirement compares one index with a value.
type IndexSelectorRequirement struct {
	// Key of the index: subscribedURLs (a Warehouse's normalised
	// subscription URLs) or receiverPaths.
	// +kubebuilder:validation:Enum=subscribedURLs;receiverPaths
	Key string `json:"key"`
	// Operator compares the index with Value.
	// +kubebuilder:validation:Required
	Operator IndexSelectorOperator `json:"operator"`
	// Value is static or an expression over the request.
	// +kubebuilder:validation:Required
	Value string `json:"value"`
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
// +kubebuilder:printcolumn:name="Receivers",type=string,priority=1,JSONPath=`.status.webhookReceivers[*].url`
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
