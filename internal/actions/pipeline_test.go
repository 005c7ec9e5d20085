package actions

import (
	"reflect"
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestBuildPipeline(t *testing.T) {
	wh := func(name string) railyard.Warehouse {
		return railyard.Warehouse{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	}
	healthy := func(st railyard.Stage) railyard.Stage {
		st.Status.Health = &railyard.Health{Status: railyard.HealthStateHealthy}
		return st
	}
	other := stage("other")
	other.Spec.RequestedFreight[0].Origin.Name = "gone"
	for _, tc := range []struct {
		name   string
		whs    []railyard.Warehouse
		stages []railyard.Stage
		fr     []railyard.Freight
		want   []WarehouseView
	}{
		{
			name: "no objects", want: []WarehouseView{},
		},
		{
			name:   "stages in promotion order, not by name",
			whs:    []railyard.Warehouse{wh("app")},
			stages: []railyard.Stage{stage("prod", "staging"), stage("staging", "test"), stage("test")},
			want: []WarehouseView{{Name: "app", Stages: []StageView{
				{Name: "test", Level: 0, Sources: []string{"direct"}},
				{Name: "staging", Level: 1, Sources: []string{"test"}},
				{Name: "prod", Level: 2, Sources: []string{"staging"}},
			}}},
		},
		{
			name:   "a fan-in Stage sits below its deepest upstream",
			whs:    []railyard.Warehouse{wh("app")},
			stages: []railyard.Stage{stage("b", "a"), stage("a"), stage("c", "a", "b")},
			want: []WarehouseView{{Name: "app", Stages: []StageView{
				{Name: "a", Level: 0, Sources: []string{"direct"}},
				{Name: "b", Level: 1, Sources: []string{"a"}},
				{Name: "c", Level: 2, Sources: []string{"a", "b"}},
			}}},
		},
		{
			name:   "a cycle does not loop and comes out the same every time",
			whs:    []railyard.Warehouse{wh("app")},
			stages: []railyard.Stage{stage("y", "x"), stage("x", "y")},
			want: []WarehouseView{{Name: "app", Stages: []StageView{
				{Name: "y", Level: 0, Sources: []string{"x"}},
				{Name: "x", Level: 1, Sources: []string{"y"}},
			}}},
		},
		{
			name:   "what a Stage runs, its alias, image and health; the newest Freight by discovery",
			whs:    []railyard.Warehouse{wh("app")},
			stages: []railyard.Stage{healthy(running(stage("test"), "f1", "v1.0.0"))},
			fr:     []railyard.Freight{fr("f1", "calm-fox", t0), fr("f2abcdef99", "", t0.Add(1e9))},
			want: []WarehouseView{{Name: "app", NewestFreight: "f2abcde", Stages: []StageView{
				{Name: "test", Sources: []string{"direct"}, Freight: "f1", Alias: "calm-fox", Images: []string{"app:v1.0.0"}, Health: "Healthy"},
			}}},
		},
		{
			name:   "a Warehouse Stages request but that does not exist is listed as missing",
			whs:    []railyard.Warehouse{wh("app")},
			stages: []railyard.Stage{other},
			want: []WarehouseView{
				{Name: "app", Stages: []StageView{}},
				{Name: "gone", Missing: true, Stages: []StageView{{Name: "other", Sources: []string{"direct"}}}},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := BuildPipeline(ns, tc.whs, tc.stages, nil, tc.fr)
			if got.Namespace != ns {
				t.Errorf("namespace %q", got.Namespace)
			}
			if !reflect.DeepEqual(got.Warehouses, tc.want) {
				t.Errorf("warehouses:\n got %+v\nwant %+v", got.Warehouses, tc.want)
			}
		})
	}
}

func TestPromotionOf(t *testing.T) {
	st := stage("test")
	withCurrent := st
	withCurrent.Status.CurrentPromotion = &railyard.PromotionReference{Name: "test.02"}
	withLast := st
	withLast.Status.LastPromotion = &railyard.PromotionReference{Name: "test.00", Status: &railyard.PromotionStatus{Phase: railyard.PromotionPhaseFailed}}
	for _, tc := range []struct {
		name   string
		st     railyard.Stage
		promos []railyard.Promotion
		want   *PromotionView
	}{
		{"none", st, nil, nil},
		{"the Stage's current one, phase from the listed Promotion", withCurrent,
			[]railyard.Promotion{promo("test.02", "test", railyard.PromotionPhasePending, t0)},
			&PromotionView{Name: "test.02", Phase: "Pending", Running: true}},
		{"the current one not listed yet is running", withCurrent, nil,
			&PromotionView{Name: "test.02", Phase: "Running", Running: true}},
		{"an unfinished one the Stage has not seen yet, newest first", st,
			[]railyard.Promotion{promo("test.01", "test", "", t0), promo("test.03", "test", "", t0.Add(1e9)), promo("prod.09", "prod", "", t0.Add(2e9))},
			&PromotionView{Name: "test.03", Phase: "Pending", Running: true}},
		{"the Stage's last one before listed finished ones", withLast,
			[]railyard.Promotion{promo("test.05", "test", railyard.PromotionPhaseSucceeded, t0)},
			&PromotionView{Name: "test.00", Phase: "Failed"}},
		{"the newest finished one listed", st,
			[]railyard.Promotion{promo("test.a", "test", railyard.PromotionPhaseSucceeded, t0), promo("test.b", "test", railyard.PromotionPhaseAborted, t0)},
			&PromotionView{Name: "test.b", Phase: "Aborted"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PromotionOf(&tc.st, tc.promos); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestNewerAndOrAlias(t *testing.T) {
	a, b := promo("s.01", "s", "", t0), promo("s.02", "s", "", t0)
	later := promo("s.00", "s", "", t0.Add(1e9))
	for _, tc := range []struct {
		name string
		x, y railyard.Promotion
		want bool
	}{
		{"same second: the later name", b, a, true},
		{"same second, reversed", a, b, false},
		{"creation time before name", later, b, true},
		{"itself", a, a, false},
	} {
		if got := Newer(&tc.x, &tc.y); got != tc.want {
			t.Errorf("%s: Newer(%s, %s) = %v", tc.name, tc.x.Name, tc.y.Name, got)
		}
	}
	aliases := map[string]string{"abc1234567": "calm-fox"}
	for name, want := range map[string]string{"abc1234567": "calm-fox", "def1234567": "def1234", "short": "short"} {
		if got := OrAlias(aliases, name); got != want {
			t.Errorf("OrAlias(%s) = %s, want %s", name, got, want)
		}
	}
}
