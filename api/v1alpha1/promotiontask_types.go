package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PromotionTaskVar is an input of a task. Without a value it is required.
type PromotionTaskVar struct {
	// Name of the variable.
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:Pattern=`^[a-zA-Z_]\w*$`
	Name string `json:"name"`
	// Value is the default; when empty, callers must supply the variable.
	// +optional
	Value string `json:"value,omitempty"`
}

// PromotionTaskSpec lists a reusable task's inputs and steps.
type PromotionTaskSpec struct {
	// Vars are the task's inputs, with defaults.
	// +optional
	// +listType=atomic
	Vars []PromotionTaskVar `json:"vars,omitempty"`
	// Steps of the task. They must use built-in steps, not other tasks.
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=100
	// +listType=atomic
	// +kubebuilder:validation:XValidation:rule="self.all(s, has(s.uses))",message="steps of a task must set uses; a task cannot reference another task"
	// +kubebuilder:validation:XValidation:rule="self.all(s, !has(s.task))",message="a step must set exactly one of uses or task"
	Steps []PromotionStep `json:"steps"`
}

// PromotionTask is a reusable list of promotion steps in a project.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:categories=railyard,shortName={promotask,promotasks}
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type PromotionTask struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec of the task.
	// +kubebuilder:validation:Required
	Spec PromotionTaskSpec `json:"spec"`
}

// +kubebuilder:object:root=true

// PromotionTaskList is a list of PromotionTasks.
type PromotionTaskList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []PromotionTask `json:"items"`
}

// ClusterPromotionTask is a reusable list of promotion steps shared by all
// projects.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,categories=railyard,shortName={clusterpromotask,clusterpromotasks}
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ClusterPromotionTask struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec of the task.
	// +kubebuilder:validation:Required
	Spec PromotionTaskSpec `json:"spec"`
}

// +kubebuilder:object:root=true

// ClusterPromotionTaskList is a list of ClusterPromotionTasks.
type ClusterPromotionTaskList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterPromotionTask `json:"items"`
}

func init() {
	register(&PromotionTask{}, &PromotionTaskList{}, &ClusterPromotionTask{}, &ClusterPromotionTaskList{})
}
