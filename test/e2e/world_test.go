package e2e

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/registrytest"
)

func (w *world) apply(manifests string) {
	w.t.Helper()
	if _, err := w.env.Kubectl(w.ctx, strings.NewReader(manifests), "apply", "--server-side", "-f", "-"); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) create(obj client.Object) {
	w.t.Helper()
	if err := w.env.Client.Create(w.ctx, obj); err != nil {
		w.t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

// pushImageOnly pushes an image built after every earlier one, so
// NewestBuild sees it as the newest, and asks the Warehouse to look.
func (w *world) pushImageOnly(tag string) {
	w.t.Helper()
	*w.built = w.built.Add(time.Minute)
	w.reg.PushImage(w.t, "demo/app", tag, registrytest.NewImage(w.t, registrytest.ImageSpec{Created: *w.built, OS: "linux", Arch: "amd64"}))
	w.refresh(&railyard.Warehouse{}, "demo")
}

// pushImage pushes a tag and waits for the Freight that carries it (and
// satisfies extra, if given).
func (w *world) pushImage(tag string, extra ...func(*railyard.Freight) bool) *railyard.Freight {
	w.t.Helper()
	w.pushImageOnly(tag)
	return w.waitFreight(func(f *railyard.Freight) bool {
		if len(f.Images) != 1 || f.Images[0].Tag != tag {
			return false
		}
		for _, ok := range extra {
			if !ok(f) {
				return false
			}
		}
		return true
	})
}

func (w *world) refresh(obj client.Object, name string) {
	w.t.Helper()
	if err := w.env.Client.Get(w.ctx, client.ObjectKey{Namespace: ns, Name: name}, obj); err != nil {
		w.t.Fatal(err)
	}
	base := obj.DeepCopyObject().(client.Object)
	ann := obj.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[railyard.AnnotationRefresh] = time.Now().Format(time.RFC3339Nano)
	obj.SetAnnotations(ann)
	if err := w.env.Client.Patch(w.ctx, obj, client.MergeFrom(base)); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) allFreight() []railyard.Freight {
	w.t.Helper()
	var list railyard.FreightList
	if err := w.env.Client.List(w.ctx, &list, client.InNamespace(ns)); err != nil {
		w.t.Fatal(err)
	}
	return list.Items
}

func (w *world) freight(name string) *railyard.Freight {
	w.t.Helper()
	f := &railyard.Freight{}
	if err := w.env.Client.Get(w.ctx, client.ObjectKey{Namespace: ns, Name: name}, f); err != nil {
		w.t.Fatal(err)
	}
	return f
}

func (w *world) waitFreight(match func(*railyard.Freight) bool) *railyard.Freight {
	w.t.Helper()
	var found *railyard.Freight
	eventually(w.t, "Freight", func() (bool, string) {
		var names []string
		for _, f := range w.allFreight() {
			if match(&f) {
				found = &f
				return true, ""
			}
			names = append(names, describe(&f))
		}
		return false, "Freight: " + strings.Join(names, ", ") + "; Warehouse: " + w.warehouseState()
	})
	return found
}

func describe(f *railyard.Freight) string {
	s := f.Name[:7]
	for _, i := range f.Images {
		s += " " + i.Tag
	}
	for _, c := range f.Commits {
		s += " " + c.ID[:7]
	}
	return s
}

func (w *world) warehouseState() string {
	wh := &railyard.Warehouse{}
	if err := w.env.Client.Get(w.ctx, client.ObjectKey{Namespace: ns, Name: "demo"}, wh); err != nil {
		return err.Error()
	}
	var conds []string
	for _, c := range wh.Status.Conditions {
		conds = append(conds, fmt.Sprintf("%s=%s(%s: %s)", c.Type, c.Status, c.Reason, c.Message))
	}
	return strings.Join(conds, "; ")
}

func (w *world) waitWarehouse(match func(*railyard.Warehouse) bool) *railyard.Warehouse {
	w.t.Helper()
	wh := &railyard.Warehouse{}
	eventually(w.t, "the Warehouse", func() (bool, string) {
		if err := w.env.Client.Get(w.ctx, client.ObjectKey{Namespace: ns, Name: "demo"}, wh); err != nil {
			return false, err.Error()
		}
		return match(wh), w.warehouseState()
	})
	return wh
}

func newestTag(wh *railyard.Warehouse) string {
	a := wh.Status.DiscoveredArtifacts
	if a == nil || len(a.Images) == 0 || len(a.Images[0].References) == 0 {
		return ""
	}
	return a.Images[0].References[0].Tag
}

func (w *world) stage(name string) *railyard.Stage {
	w.t.Helper()
	s := &railyard.Stage{}
	if err := w.env.Client.Get(w.ctx, client.ObjectKey{Namespace: ns, Name: name}, s); err != nil {
		w.t.Fatal(err)
	}
	return s
}

// current is the name of the Freight a Stage runs now ("" if none).
func (w *world) current(stage string) string {
	w.t.Helper()
	s := w.stage(stage)
	if len(s.Status.FreightHistory) == 0 {
		return ""
	}
	return s.Status.FreightHistory[0].Freight["Warehouse/demo"].Name
}

func (w *world) stageState(name string) string {
	s := &railyard.Stage{}
	if err := w.env.Client.Get(w.ctx, client.ObjectKey{Namespace: ns, Name: name}, s); err != nil {
		return err.Error()
	}
	var conds []string
	for _, c := range s.Status.Conditions {
		conds = append(conds, fmt.Sprintf("%s=%s(%s: %s)", c.Type, c.Status, c.Reason, c.Message))
	}
	var promos []string
	for _, p := range w.promotions(name) {
		promos = append(promos, fmt.Sprintf("%s %s %q", p.Name, p.Status.Phase, p.Status.Message))
	}
	return fmt.Sprintf("summary %q; %s; promotions: %s", s.Status.FreightSummary, strings.Join(conds, "; "), strings.Join(promos, ", "))
}

func (w *world) waitCurrent(stage, freightName string) {
	w.t.Helper()
	eventually(w.t, "Stage "+stage+" to run Freight "+freightName, func() (bool, string) {
		if w.current(stage) == freightName {
			return true, ""
		}
		// Fail at once when the Promotion of that Freight failed.
		ps := w.promotionsOfFreight(stage, freightName)
		if n := len(ps); n > 0 && ps[n-1].Status.Phase.IsTerminal() && ps[n-1].Status.Phase != railyard.PromotionPhaseSucceeded {
			w.t.Fatalf("Promotion %s of %s to %s ended %s: %s", ps[n-1].Name, freightName, stage, ps[n-1].Status.Phase, ps[n-1].Status.Message)
		}
		return false, w.stageState(stage)
	})
}

func (w *world) waitReady(stage string) {
	w.t.Helper()
	w.waitCondition(stage, railyard.ConditionReady, metav1.ConditionTrue, railyard.ReasonSucceeded)
}

func (w *world) waitCondition(stage, condType string, status metav1.ConditionStatus, reason string) {
	w.t.Helper()
	eventually(w.t, fmt.Sprintf("Stage %s %s=%s (%s)", stage, condType, status, reason), func() (bool, string) {
		c := meta.FindStatusCondition(w.stage(stage).Status.Conditions, condType)
		return c != nil && c.Status == status && c.Reason == reason, w.stageState(stage)
	})
}

func (w *world) promotions(stage string) []railyard.Promotion {
	w.t.Helper()
	var list railyard.PromotionList
	if err := w.env.Client.List(w.ctx, &list, client.InNamespace(ns)); err != nil {
		w.t.Fatal(err)
	}
	var out []railyard.Promotion
	for _, p := range list.Items {
		if p.Spec.Stage == stage {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (w *world) promotionsOfFreight(stage, freightName string) []railyard.Promotion {
	var out []railyard.Promotion
	for _, p := range w.promotions(stage) {
		if p.Spec.Freight == freightName || (p.Status.Freight != nil && p.Status.Freight.Name == freightName) {
			out = append(out, p)
		}
	}
	return out
}

func (w *world) promotion(name string) *railyard.Promotion {
	w.t.Helper()
	p := &railyard.Promotion{}
	if err := w.env.Client.Get(w.ctx, client.ObjectKey{Namespace: ns, Name: name}, p); err != nil {
		w.t.Fatal(err)
	}
	return p
}

func (w *world) waitPromotionOf(stage, freightName string) *railyard.Promotion {
	w.t.Helper()
	var found *railyard.Promotion
	eventually(w.t, "a Promotion of "+freightName+" to "+stage, func() (bool, string) {
		if ps := w.promotionsOfFreight(stage, freightName); len(ps) > 0 {
			found = &ps[0]
			return true, ""
		}
		return false, w.stageState(stage)
	})
	return found
}

func (w *world) waitPromotion(name string, phase railyard.PromotionPhase) *railyard.Promotion {
	w.t.Helper()
	var p *railyard.Promotion
	eventually(w.t, "Promotion "+name+" to be "+string(phase), func() (bool, string) {
		p = w.promotion(name)
		if p.Status.Phase.IsTerminal() && p.Status.Phase != phase {
			w.t.Fatalf("Promotion %s ended %s, want %s: %s", name, p.Status.Phase, phase, p.Status.Message)
		}
		return p.Status.Phase == phase, fmt.Sprintf("%s %q", p.Status.Phase, p.Status.Message)
	})
	return p
}

// promoteFromUpstream creates a Promotion by origin (spec.origin), which
// the controller resolves, as kubectl users do; `railyard promote
// --from-upstream` picks the Freight itself and sets spec.freight.
func (w *world) promoteFromUpstream(stage string) string {
	w.t.Helper()
	p := &railyard.Promotion{
		ObjectMeta: metav1.ObjectMeta{Name: stage + "-from-upstream-" + fmt.Sprint(time.Now().UnixNano()), Namespace: ns},
		Spec:       railyard.PromotionSpec{Stage: stage, Origin: &railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "demo"}},
	}
	w.create(p)
	return p.Name
}
