// Package v1alpha1 holds the Railyard API: Warehouses discover artifacts and
// produce Freight, Stages request Freight, and Promotions move Freight into a
// Stage by running steps. Kinds and field names follow Kargo's
// kargo.akuity.io/v1alpha1 so that Kargo manifests apply after changing only
// their apiVersion.
//
// +kubebuilder:object:generate=true
// +groupName=railyard.dev
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of every Railyard kind.
	GroupVersion = schema.GroupVersion{Group: "railyard.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the Railyard kinds with a runtime.Scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the Railyard kinds to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
