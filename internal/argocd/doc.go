// Package argocd holds the few fields of Argo CD's Application
// (argoproj.io/v1alpha1) that Railyard reads and writes, the authorized-stage
// check, and Stage health evaluation from Applications.
//
// The types are our own and deliberately partial: importing Argo CD's module
// drags in k8s.io/kubernetes and versions that do not build with our
// Kubernetes libraries (see DESIGN.md). Because the types are partial, never
// write an Application with a full Update, which would drop every field we do
// not model; send a merge patch of only the fields that change.
//
// +kubebuilder:object:generate=true
// +groupName=argoproj.io
package argocd
