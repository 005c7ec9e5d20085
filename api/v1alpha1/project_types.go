package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ProjectStatus is what the controller observed of a Project.
type ProjectStatus struct {
	// Conditions: Ready.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// ObservedGeneration is the generation last reconciled.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Stats counts the project's Warehouses and Stages.
	// +optional
	Stats *ProjectStats `json:"stats,omitempty"`
}

// ProjectStats counts objects of a project and how many are healthy.
type ProjectStats struct {
	// Warehouses of the project.
	// +optional
	Warehouses ObjectCount `json:"warehouses,omitempty"`
	// Stages of the project.
	// +optional
	Stages ObjectCount `json:"stages,omitempty"`
}

// ObjectCount counts objects and healthy objects.
type ObjectCount struct {
	// Count of objects.
	// +optional
	Count int64 `json:"count,omitempty"`
	// Healthy objects.
	// +optional
	Healthy int64 `json:"healthy,omitempty"`
}

// Project is a tenant: it owns the namespace of the same name, which holds
// its Warehouses, Stages, Freight and Promotions.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories=railyard
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Project struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Status is what the controller observed.
	// +optional
	Status ProjectStatus `json:"status,omitempty"`
}

// GetConditions returns the Project's conditions.
func (p *Project) GetConditions() []metav1.Condition { return p.Status.Conditions }

// SetConditions replaces the Project's conditions.
func (p *Project) SetConditions(c []metav1.Condition) { p.Status.Conditions = c }

// +kubebuilder:object:root=true

// ProjectList is a list of Projects.
type ProjectList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Project `json:"items"`
}

func init() {
	register(&Project{}, &ProjectList{})
}
