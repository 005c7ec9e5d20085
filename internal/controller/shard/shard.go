// Package shard decides which manager reconciles a Warehouse, Stage or
// Promotion. Every reconciler that acts on these kinds (or does work for
// them, such as credential watches and Freight checks) asks the same
// Filter, so that two managers never act on one object.
package shard

import (
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// Of returns the shard an object belongs to; empty means none (the default
// manager's). spec.shard wins where the kind has it (Warehouse, Stage), as
// Kargo's defaulting webhook makes the label follow the field; then
// Railyard's label, then Kargo's, so Kargo manifests keep their shard.
func Of(obj client.Object) string {
	switch o := obj.(type) {
	case *railyard.Warehouse:
		if o.Spec.Shard != "" {
			return o.Spec.Shard
		}
	case *railyard.Stage:
		if o.Spec.Shard != "" {
			return o.Spec.Shard
		}
	}
	return OfLabels(obj.GetLabels())
}

// OfLabels returns the shard labels name, Railyard's spelling first.
func OfLabels(labels map[string]string) string {
	if s := labels[railyard.LabelShard]; s != "" {
		return s
	}
	return labels[railyard.LabelKargoShard]
}

// Filter is one manager's share of the objects.
type Filter struct {
	// Name is the manager's shard; empty for the default manager.
	Name string
	// Default makes a manager with a Name also reconcile objects of no
	// shard (Kargo's controller.isDefault). A manager without a Name
	// always does.
	Default bool
}

// TakesUnlabelled reports whether the manager reconciles objects without a
// shard, and so the kinds that have none (Projects, ProjectConfigs,
// ClusterConfig, webhook receivers).
func (f Filter) TakesUnlabelled() bool { return f.Name == "" || f.Default }

// Responsible reports whether this manager reconciles obj. Objects of a
// shard no manager runs are nobody's, as in Kargo: the default manager
// leaves them alone rather than guessing.
func (f Filter) Responsible(obj client.Object) bool {
	s := Of(obj)
	if s == "" {
		return f.TakesUnlabelled()
	}
	return s == f.Name
}

// Predicate passes events of the objects this manager is responsible for.
// Watches that map other kinds to these (a Freight to its Stages) bypass
// it, so reconcilers also check Responsible after reading the object.
func (f Filter) Predicate() predicate.Predicate {
	return predicate.NewPredicateFuncs(f.Responsible)
}

// LabelPromotion makes a Promotion's shard labels say its Stage's shard,
// as Kargo's Promotion webhook does on every write. It reports whether it
// changed the labels. Kargo's label, when present, is kept in step so a
// Kargo-era label never overrides the Stage's shard.
func LabelPromotion(p *railyard.Promotion, stage *railyard.Stage) bool {
	want := Of(stage)
	labels := p.GetLabels()
	if labels[railyard.LabelShard] == want && OfLabels(labels) == want {
		return false
	}
	if labels == nil {
		labels = map[string]string{}
	}
	set := func(key string) {
		if want == "" {
			delete(labels, key)
		} else {
			labels[key] = want
		}
	}
	set(railyard.LabelShard)
	if _, ok := labels[railyard.LabelKargoShard]; ok {
		set(railyard.LabelKargoShard)
	}
	p.SetLabels(labels)
	return true
}
