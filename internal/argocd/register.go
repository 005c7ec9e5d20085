package argocd

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is Argo CD's API group and version.
	GroupVersion = schema.GroupVersion{Group: "argoproj.io", Version: "v1alpha1"}

	// ApplicationKind is the kind of an Argo CD Application.
	ApplicationKind = GroupVersion.WithKind("Application")
	// ApplicationListKind is the kind of a list of Applications.
	ApplicationListKind = GroupVersion.WithKind("ApplicationList")

	// SchemeBuilder registers our Application types.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds Application and ApplicationList to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func init() {
	SchemeBuilder.Register(&Application{}, &ApplicationList{})
}
