package webhook

import (
	"cmp"
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// Index keys of an indexSelector, as Kargo names them.
const (
	indexSubscribedURLs = "subscribedURLs"
	indexReceiverPaths  = "receiverPaths"
)

// selectTargets returns the Warehouses any criterion selects, sorted by
// namespace and name without duplicates, as Kargo's listUniqueObjects.
func selectTargets(criteria []railyard.GenericWebhookTargetSelectionCriteria, whs []railyard.Warehouse, env map[string]any) ([]types.NamespacedName, error) {
	var out []types.NamespacedName
	for i, c := range criteria {
		sel, err := selectByCriterion(c, whs, env)
		if err != nil {
			return nil, fmt.Errorf("targetSelectionCriteria[%d]: %w", i, err)
		}
		out = append(out, sel...)
	}
	slices.SortFunc(out, func(a, b types.NamespacedName) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return slices.Compact(out), nil
}

// selectByCriterion ANDs a criterion's name, labelSelector and indexSelector;
// a criterion setting none selects every Warehouse, as in Kargo.
func selectByCriterion(c railyard.GenericWebhookTargetSelectionCriteria, whs []railyard.Warehouse, env map[string]any) ([]types.NamespacedName, error) {
	if c.Kind != railyard.GenericWebhookTargetWarehouse {
		return nil, fmt.Errorf("unsupported target kind %q", c.Kind)
	}
	name := ""
	if c.Name != "" {
		var err error
		if name, err = evalString(c.Name, env); err != nil {
			return nil, fmt.Errorf("name: %w", err)
		}
	}
	sel, err := labelSelector(c.LabelSelector, env)
	if err != nil {
		return nil, err
	}
	type index struct {
		equals bool
		value  string
	}
	var indices []index
	for i, m := range c.IndexSelector.MatchIndices {
		if m.Key != indexSubscribedURLs {
			return nil, fmt.Errorf("indexSelector.matchIndices[%d]: index %q does not apply to Warehouses (want %q)", i, m.Key, indexSubscribedURLs)
		}
		v, err := evalString(m.Value, env)
		if err != nil {
			return nil, fmt.Errorf("indexSelector.matchIndices[%d].value: %w", i, err)
		}
		switch m.Operator {
		case railyard.IndexSelectorEquals, railyard.IndexSelectorNotEquals:
		default:
			return nil, fmt.Errorf("indexSelector.matchIndices[%d]: unsupported operator %q", i, m.Operator)
		}
		indices = append(indices, index{equals: m.Operator == railyard.IndexSelectorEquals, value: v})
	}
	var out []types.NamespacedName
	for i := range whs {
		w := &whs[i]
		if c.Name != "" && w.Name != name {
			continue
		}
		if sel != nil && !sel.Matches(labels.Set(w.Labels)) {
			continue
		}
		if !slices.ContainsFunc(indices, func(ix index) bool { return subscribesTo(w, ix.value) != ix.equals }) {
			out = append(out, types.NamespacedName{Namespace: w.Namespace, Name: w.Name})
		}
	}
	return out, nil
}

// labelSelector evaluates the values of a label selector; nil selects all.
func labelSelector(ls metav1.LabelSelector, env map[string]any) (labels.Selector, error) {
	if ls.Size() == 0 {
		return nil, nil
	}
	ls = *ls.DeepCopy()
	var err error
	for k, v := range ls.MatchLabels {
		if ls.MatchLabels[k], err = evalString(v, env); err != nil {
			return nil, fmt.Errorf("labelSelector.matchLabels[%s]: %w", k, err)
		}
	}
	for i := range ls.MatchExpressions {
		for j, v := range ls.MatchExpressions[i].Values {
			if ls.MatchExpressions[i].Values[j], err = evalString(v, env); err != nil {
				return nil, fmt.Errorf("labelSelector.matchExpressions[%d].values[%d]: %w", i, j, err)
			}
		}
	}
	sel, err := metav1.LabelSelectorAsSelector(&ls)
	if err != nil {
		return nil, fmt.Errorf("labelSelector: %w", err)
	}
	return sel, nil
}

// subscribesTo is the subscribedURLs index: whether a subscription's
// normalised URL equals value. value is normalised the subscription's way
// too, so a literal URL in another spelling still matches.
func subscribesTo(w *railyard.Warehouse, value string) bool {
	return slices.ContainsFunc(w.Spec.Subscriptions, func(s railyard.RepoSubscription) bool {
		var f func(string) string
		var u string
		switch {
		case s.Git != nil:
			f, u = NormalizeGitURL, s.Git.RepoURL
		case s.Image != nil:
			f, u = NormalizeImageRepo, s.Image.RepoURL
		case s.Chart != nil:
			f, u = NormalizeChartRepo, s.Chart.RepoURL
		default:
			return false
		}
		return u != "" && (f(u) == value || f(u) == f(value))
	})
}
