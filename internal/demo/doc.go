// Package demo runs Railyard's whole pipeline on a machine with no cluster:
// a local control plane (envtest from bin/k8s), an OCI registry, a git
// server holding a small GitOps repository, a Helm chart repository, the
// Railyard manager in-process and a stand-in for Argo CD's application
// controller. It applies a demo project, pushes image v1.0.0 and tells in
// plain words what happened.
//
// Run is the whole demo. Interactively it then waits for Ctrl-C, taking
// `demo push-tag TAG` requests on a small HTTP control endpoint (see
// PushTag); non-interactively it also promotes staging and prod from
// upstream and pushes one more tag, and returns an error unless every step
// happened.
package demo
