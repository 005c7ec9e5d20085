package shard

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func labels(railyardShard, kargoShard string) map[string]string {
	l := map[string]string{}
	if railyardShard != "" {
		l[railyard.LabelShard] = railyardShard
	}
	if kargoShard != "" {
		l[railyard.LabelKargoShard] = kargoShard
	}
	return l
}

func stage(spec, label, kargoLabel string) *railyard.Stage {
	return &railyard.Stage{ObjectMeta: metav1.ObjectMeta{Name: "s", Labels: labels(label, kargoLabel)}, Spec: railyard.StageSpec{Shard: spec}}
}

func warehouse(spec, label, kargoLabel string) *railyard.Warehouse {
	return &railyard.Warehouse{ObjectMeta: metav1.ObjectMeta{Name: "w", Labels: labels(label, kargoLabel)}, Spec: railyard.WarehouseSpec{Shard: spec}}
}

func promotion(label, kargoLabel string) *railyard.Promotion {
	return &railyard.Promotion{ObjectMeta: metav1.ObjectMeta{Name: "p", Labels: labels(label, kargoLabel)}}
}

func TestOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		obj  client.Object
		want string
	}{
		{"stage without shard", stage("", "", ""), ""},
		{"stage field", stage("a", "", ""), "a"},
		{"stage field wins over labels", stage("a", "b", "c"), "a"},
		{"stage railyard label", stage("", "b", ""), "b"},
		{"stage railyard label wins over kargo's", stage("", "b", "c"), "b"},
		{"stage kargo label", stage("", "", "c"), "c"},
		{"warehouse field", warehouse("a", "b", ""), "a"},
		{"warehouse kargo label", warehouse("", "", "c"), "c"},
		{"promotion railyard label", promotion("b", "c"), "b"},
		{"promotion kargo label", promotion("", "c"), "c"},
		{"promotion unlabelled", promotion("", ""), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Of(tc.obj); got != tc.want {
				t.Errorf("Of = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestResponsible(t *testing.T) {
	defaultMgr := Filter{}
	shardA := Filter{Name: "a"}
	shardADefault := Filter{Name: "a", Default: true}
	for _, tc := range []struct {
		name   string
		filter Filter
		obj    client.Object
		want   bool
	}{
		{"default takes unlabelled", defaultMgr, stage("", "", ""), true},
		{"default leaves a shard's", defaultMgr, stage("a", "", ""), false},
		{"default leaves a shard nobody runs", defaultMgr, promotion("", "nobody"), false},
		{"shard takes its field", shardA, stage("a", "", ""), true},
		{"shard takes its label", shardA, warehouse("", "a", ""), true},
		{"shard takes kargo's label", shardA, promotion("", "a"), true},
		{"field overrides a matching label", shardA, stage("b", "a", "a"), false},
		{"shard leaves unlabelled", shardA, stage("", "", ""), false},
		{"shard leaves another shard", shardA, promotion("b", ""), false},
		{"default shard takes unlabelled", shardADefault, stage("", "", ""), true},
		{"default shard takes its own", shardADefault, stage("a", "", ""), true},
		{"default shard leaves another shard", shardADefault, stage("b", "", ""), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.filter.Responsible(tc.obj); got != tc.want {
				t.Errorf("Responsible = %v, want %v", got, tc.want)
			}
			p := tc.filter.Predicate()
			if got := p.Create(event.CreateEvent{Object: tc.obj}); got != tc.want {
				t.Errorf("Predicate.Create = %v, want %v", got, tc.want)
			}
			if got := p.Update(event.UpdateEvent{ObjectOld: tc.obj, ObjectNew: tc.obj}); got != tc.want {
				t.Errorf("Predicate.Update = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLabelPromotion(t *testing.T) {
	for _, tc := range []struct {
		name        string
		promo       *railyard.Promotion
		stage       *railyard.Stage
		wantChanged bool
		want        map[string]string
	}{
		{"unlabelled to the stage's shard", promotion("", ""), stage("a", "", ""), true, labels("a", "")},
		{"already right", promotion("a", ""), stage("a", "", ""), false, labels("a", "")},
		{"wrong label corrected", promotion("b", ""), stage("a", "", ""), true, labels("a", "")},
		{"kargo label kept in step", promotion("", "b"), stage("a", "", ""), true, labels("a", "a")},
		{"stage without shard removes labels", promotion("b", "b"), stage("", "", ""), true, labels("", "")},
		{"stage shard from its kargo label", promotion("", ""), stage("", "", "c"), true, labels("c", "")},
		{"nothing to do", promotion("", ""), stage("", "", ""), false, labels("", "")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			changed := LabelPromotion(tc.promo, tc.stage)
			if changed != tc.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tc.wantChanged)
			}
			got := tc.promo.GetLabels()
			if len(got) != len(tc.want) {
				t.Fatalf("labels = %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("labels = %v, want %v", got, tc.want)
				}
			}
			if Of(tc.promo) != Of(tc.stage) {
				t.Errorf("promotion shard %q, stage shard %q", Of(tc.promo), Of(tc.stage))
			}
		})
	}
}
