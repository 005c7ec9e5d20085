package argocd

import (
	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// InfoPromotion is the name of the operation info entry, and the key of the
// Application annotation, that record which Promotion requested a sync. The
// value is PromotionRef(project, promotion).
const InfoPromotion = railyard.AnnotationPromotion

// PromotionRef is how a Promotion is recorded on an Application and its
// operations: "<project>/<promotion>".
func PromotionRef(project, promotion string) string {
	return project + "/" + promotion
}

// IsMultiSource reports whether the Application uses spec.sources.
func (a *Application) IsMultiSource() bool {
	return len(a.Spec.Sources) > 0
}

// SourceList returns the Application's sources in order: spec.sources, or
// spec.source alone.
func (a *Application) SourceList() []ApplicationSource {
	if a.IsMultiSource() {
		return a.Spec.Sources
	}
	if a.Spec.Source != nil {
		return []ApplicationSource{*a.Spec.Source}
	}
	return nil
}

// SyncedRevisions returns the revisions Argo CD last compared against, one
// per source.
func (a *Application) SyncedRevisions() []string {
	if a.IsMultiSource() {
		return a.Status.Sync.Revisions
	}
	if a.Status.Sync.Revision == "" {
		return nil
	}
	return []string{a.Status.Sync.Revision}
}

// Applied returns the revisions a finished sync applied, one per source.
func (r *SyncOperationResult) Applied(multiSource bool) []string {
	if r == nil {
		return nil
	}
	if multiSource {
		return r.Revisions
	}
	if r.Revision == "" {
		return nil
	}
	return []string{r.Revision}
}

// RequestedBy returns the Promotion recorded in the operation's info, or "".
func (o *Operation) RequestedBy() string {
	if o == nil {
		return ""
	}
	for _, i := range o.Info {
		if i.Name == InfoPromotion {
			return i.Value
		}
	}
	return ""
}

// RevisionsMatch reports whether actual satisfies desired position by
// position, where an empty desired revision matches anything. A different
// length never matches unless nothing is desired.
func RevisionsMatch(desired, actual []string) bool {
	if !AnyRevision(desired) {
		return true
	}
	if len(desired) != len(actual) {
		return false
	}
	for i, d := range desired {
		if d != "" && d != actual[i] {
			return false
		}
	}
	return true
}

// AnyRevision reports whether any revision is set.
func AnyRevision(revs []string) bool {
	for _, r := range revs {
		if r != "" {
			return true
		}
	}
	return false
}
