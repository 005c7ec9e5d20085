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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of every Railyard kind.
	GroupVersion = schema.GroupVersion{Group: "railyard.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the Railyard kinds with a runtime.Scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the Railyard kinds to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme

	// knownTypes are the kinds each *_types.go file registers.
	knownTypes []runtime.Object
)

// register records kinds for AddToScheme; the *_types.go files call it from
// init, so the API package depends only on apimachinery.
func register(objs ...runtime.Object) {
	knownTypes = append(knownTypes, objs...)
}

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, knownTypes...)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
