package warehouse

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// DescribeSubscription names sub in messages as the Warehouse's own
// conditions do ("image ghcr.io/org/app"), with credentials redacted.
func DescribeSubscription(sub *railyard.RepoSubscription) string {
	o := outcome{status: identify(sub)}
	return o.describe()
}

// identify returns the status entry that names sub: its kind, repoURL and
// its subscription name, or else its chart name.
func identify(sub *railyard.RepoSubscription) railyard.SubscriptionStatus {
	st := railyard.SubscriptionStatus{Name: sub.Name}
	switch {
	case sub.Image != nil:
		st.Kind, st.RepoURL = kindImage, displayURL(sub.Image.RepoURL)
	case sub.Chart != nil:
		st.Kind, st.RepoURL = kindChart, displayURL(sub.Chart.RepoURL)
		if st.Name == "" {
			st.Name = sub.Chart.Name
		}
	case sub.Git != nil:
		st.Kind, st.RepoURL = kindGit, displayURL(sub.Git.RepoURL)
	}
	return st
}

func previousStatus(w *railyard.Warehouse, id railyard.SubscriptionStatus) *railyard.SubscriptionStatus {
	for i := range w.Status.Subscriptions {
		p := &w.Status.Subscriptions[i]
		if p.Kind == id.Kind && p.RepoURL == id.RepoURL && p.Name == id.Name {
			return p
		}
	}
	return nil
}

func previousImage(w *railyard.Warehouse, sub *railyard.RepoSubscription) *railyard.ImageDiscoveryResult {
	if a := w.Status.DiscoveredArtifacts; a != nil {
		for i := range a.Images {
			if p := &a.Images[i]; p.RepoURL == displayURL(sub.Image.RepoURL) && p.SubscriptionName == sub.Name {
				return p.DeepCopy()
			}
		}
	}
	return nil
}

func previousChart(w *railyard.Warehouse, sub *railyard.RepoSubscription) *railyard.ChartDiscoveryResult {
	if a := w.Status.DiscoveredArtifacts; a != nil {
		for i := range a.Charts {
			if p := &a.Charts[i]; p.RepoURL == displayURL(sub.Chart.RepoURL) && p.Name == sub.Chart.Name && p.SubscriptionName == sub.Name {
				return p.DeepCopy()
			}
		}
	}
	return nil
}

func previousGit(w *railyard.Warehouse, sub *railyard.RepoSubscription) *railyard.GitDiscoveryResult {
	if a := w.Status.DiscoveredArtifacts; a != nil {
		for i := range a.Git {
			if p := &a.Git[i]; p.RepoURL == displayURL(sub.Git.RepoURL) && p.SubscriptionName == sub.Name {
				return p.DeepCopy()
			}
		}
	}
	return nil
}

// carryOver fills a failed outcome with the subscription's previous
// artifacts (or an empty entry), so a failure never erases what was known.
func carryOver(w *railyard.Warehouse, sub *railyard.RepoSubscription, o *outcome) {
	switch {
	case sub.Image != nil:
		if o.image = previousImage(w, sub); o.image == nil {
			o.image = &railyard.ImageDiscoveryResult{RepoURL: displayURL(sub.Image.RepoURL), Platform: sub.Image.Platform, SubscriptionName: sub.Name}
		}
	case sub.Chart != nil:
		if o.chart = previousChart(w, sub); o.chart == nil {
			o.chart = &railyard.ChartDiscoveryResult{RepoURL: displayURL(sub.Chart.RepoURL), Name: sub.Chart.Name,
				SemverConstraint: sub.Chart.SemverConstraint, SubscriptionName: sub.Name}
		}
	case sub.Git != nil:
		if o.git = previousGit(w, sub); o.git == nil {
			o.git = &railyard.GitDiscoveryResult{RepoURL: displayURL(sub.Git.RepoURL), SubscriptionName: sub.Name}
		}
	}
}

// assemble turns outcomes into status.discoveredArtifacts (one entry per
// subscription, in spec order) and status.subscriptions.
func assemble(outcomes []outcome, now metav1.Time) (*railyard.DiscoveredArtifacts, []railyard.SubscriptionStatus) {
	a := &railyard.DiscoveredArtifacts{DiscoveredAt: now}
	subs := make([]railyard.SubscriptionStatus, 0, len(outcomes))
	for i := range outcomes {
		o := &outcomes[i]
		subs = append(subs, o.status)
		switch {
		case o.image != nil:
			a.Images = append(a.Images, *o.image)
		case o.chart != nil:
			a.Charts = append(a.Charts, *o.chart)
		case o.git != nil:
			a.Git = append(a.Git, *o.git)
		}
	}
	return a, subs
}
