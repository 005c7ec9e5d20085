package actions

import (
	"path"
	"sort"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
)

// Pipeline is the data of get pipeline: per Warehouse, its Stages in
// promotion order.
type Pipeline struct {
	Namespace  string          `json:"namespace"`
	Warehouses []WarehouseView `json:"warehouses"`
}

// WarehouseView is one Warehouse of a Pipeline with the Stages it feeds.
type WarehouseView struct {
	Name string `json:"name"`
	// Missing is set when Stages request a Warehouse that does not exist.
	Missing bool `json:"missing,omitempty"`
	// NewestFreight is the alias (or name) of the Warehouse's newest
	// Freight by discovery time (hand-made Freight included), not the last
	// one the Warehouse made.
	NewestFreight string      `json:"newestFreight,omitempty"`
	Stages        []StageView `json:"stages"`
}

// StageView is one Stage of a Pipeline.
type StageView struct {
	Name string `json:"name"`
	// Level is 0 for Stages fed directly by the Warehouse, n+1 for Stages
	// fed by Stages of level n.
	Level int `json:"level"`
	// Sources are "direct" and/or upstream Stage names.
	Sources []string `json:"sources"`
	Freight string   `json:"freight,omitempty"`
	Alias   string   `json:"alias,omitempty"`
	Images  []string `json:"images,omitempty"`
	Health  string   `json:"health,omitempty"`
	// Verification is the state of the current Freight's verification:
	// "verified", "verifying", "pending", "failed", "errored",
	// "inconclusive" or "aborted"; empty when the Stage does not say.
	Verification string         `json:"verification,omitempty"`
	Promotion    *PromotionView `json:"promotion,omitempty"`
}

// PromotionView is a Stage's running or last Promotion.
type PromotionView struct {
	Name  string `json:"name"`
	Phase string `json:"phase,omitempty"`
	// Running is true for the Stage's current (unfinished) Promotion.
	Running bool `json:"running"`
	// Step is the 1-based step a running Promotion is at; 0 before it
	// starts or when its status is not known.
	Step int `json:"step,omitempty"`
}

// BuildPipeline computes the view of "get pipeline" and of the web UI's
// pipeline page from listed objects; it is pure so the ordering rules can be
// tested without a cluster.
func BuildPipeline(ns string, whs []railyard.Warehouse, stages []railyard.Stage, promos []railyard.Promotion, fr []railyard.Freight) Pipeline {
	aliases := map[string]string{}
	newest := map[string]*railyard.Freight{}
	for i := range fr {
		f := &fr[i]
		aliases[f.Name] = freight.AliasOf(f)
		if n := newest[f.Origin.Name]; n == nil || freight.Newer(f, n) {
			newest[f.Origin.Name] = f
		}
	}
	names := map[string]bool{}
	view := Pipeline{Namespace: ns, Warehouses: []WarehouseView{}}
	for _, wh := range whs {
		names[wh.Name] = true
		wv := WarehouseView{Name: wh.Name}
		if n := newest[wh.Name]; n != nil {
			wv.NewestFreight = OrAlias(aliases, n.Name)
		}
		view.Warehouses = append(view.Warehouses, wv)
	}
	for _, st := range stages {
		for _, r := range st.Spec.RequestedFreight {
			if !names[r.Origin.Name] {
				names[r.Origin.Name] = true
				view.Warehouses = append(view.Warehouses, WarehouseView{Name: r.Origin.Name, Missing: true})
			}
		}
	}
	sort.Slice(view.Warehouses, func(i, j int) bool { return view.Warehouses[i].Name < view.Warehouses[j].Name })
	for i := range view.Warehouses {
		wv := &view.Warehouses[i]
		origin := railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: wv.Name}
		wv.Stages = stagesOf(origin, stages, promos, aliases)
	}
	return view
}

// OrAlias is the alias of the Freight name, else its short ID.
func OrAlias(aliases map[string]string, name string) string {
	if a := aliases[name]; a != "" {
		return a
	}
	return short(name, 7)
}

// stagesOf returns the Stages requesting origin, ordered by level, then
// name.
func stagesOf(origin railyard.FreightOrigin, stages []railyard.Stage, promos []railyard.Promotion, aliases map[string]string) []StageView {
	byName := map[string]*railyard.Stage{}
	for i := range stages {
		if RequestFor(&stages[i], origin) != nil {
			byName[stages[i].Name] = &stages[i]
		}
	}
	levels := map[string]int{}
	var level func(name string, visiting map[string]bool) int
	level = func(name string, visiting map[string]bool) int {
		if l, ok := levels[name]; ok {
			return l
		}
		st := byName[name]
		if st == nil || visiting[name] {
			return -1 // unknown upstream, or a cycle: do not push Stages down
		}
		visiting[name] = true
		req := RequestFor(st, origin)
		l := 0
		if !req.Sources.Direct {
			for _, up := range req.Sources.Stages {
				l = max(l, level(up, visiting)+1)
			}
		}
		delete(visiting, name)
		levels[name] = l
		return l
	}
	sorted := make([]string, 0, len(byName))
	for name := range byName {
		sorted = append(sorted, name)
	}
	// Sorted so that levels inside an (invalid) cycle come out the same
	// every time.
	sort.Strings(sorted)
	out := make([]StageView, 0, len(byName))
	for _, name := range sorted {
		st := byName[name]
		req := RequestFor(st, origin)
		sv := StageView{Name: name, Level: level(name, map[string]bool{})}
		if req.Sources.Direct {
			sv.Sources = append(sv.Sources, "direct")
		}
		sv.Sources = append(sv.Sources, req.Sources.Stages...)
		if len(st.Status.FreightHistory) > 0 {
			if ref, ok := st.Status.FreightHistory[0].Freight[origin.String()]; ok {
				sv.Freight = ref.Name
				sv.Alias = aliases[ref.Name]
				for _, im := range ref.Images {
					sv.Images = append(sv.Images, path.Base(im.RepoURL)+":"+im.Tag)
				}
			}
		}
		if st.Status.Health != nil {
			sv.Health = string(st.Status.Health.Status)
		}
		sv.Verification = VerificationOf(st)
		sv.Promotion = PromotionOf(st, promos)
		out = append(out, sv)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Level != out[j].Level {
			return out[i].Level < out[j].Level
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// PromotionOf returns the Stage's running Promotion, else its last one.
// Stage status is authoritative; Promotions listed directly fill in when
// the Stage controller has not caught up yet.
func PromotionOf(st *railyard.Stage, promos []railyard.Promotion) *PromotionView {
	if cur := st.Status.CurrentPromotion; cur != nil {
		return &PromotionView{Name: cur.Name, Phase: phaseOf(promos, cur.Name, railyard.PromotionPhaseRunning), Running: true, Step: stepOf(promos, cur.Name)}
	}
	var running, last *railyard.Promotion
	for i := range promos {
		p := &promos[i]
		if p.Spec.Stage != st.Name {
			continue
		}
		if p.Status.Phase.IsTerminal() {
			if last == nil || Newer(p, last) {
				last = p
			}
		} else if running == nil || Newer(p, running) {
			running = p
		}
	}
	if running != nil {
		return &PromotionView{Name: running.Name, Phase: string(orPhase(running.Status.Phase, railyard.PromotionPhasePending)), Running: true, Step: stepOf(promos, running.Name)}
	}
	if lp := st.Status.LastPromotion; lp != nil {
		pv := &PromotionView{Name: lp.Name}
		if lp.Status != nil {
			pv.Phase = string(lp.Status.Phase)
		}
		return pv
	}
	if last != nil {
		return &PromotionView{Name: last.Name, Phase: string(last.Status.Phase)}
	}
	return nil
}

// stepOf is the 1-based step the named Promotion runs, or 0 when it has not
// started or is not listed.
func stepOf(promos []railyard.Promotion, name string) int {
	for i := range promos {
		if p := &promos[i]; p.Name == name && p.Status.Phase == railyard.PromotionPhaseRunning {
			return int(p.Status.CurrentStep) + 1
		}
	}
	return 0
}

// VerificationOf words the Stage's Verified condition for its current
// Freight.
func VerificationOf(st *railyard.Stage) string {
	c := meta.FindStatusCondition(st.Status.Conditions, railyard.ConditionVerified)
	switch {
	case c == nil:
		return ""
	case c.Status == metav1.ConditionTrue:
		return "verified"
	}
	switch c.Reason {
	case railyard.ReasonVerificationRunning:
		return "verifying"
	case railyard.ReasonVerificationPending:
		return "pending"
	case railyard.ReasonVerificationFailed:
		return "failed"
	case railyard.ReasonVerificationError:
		return "errored"
	case railyard.ReasonVerificationInconclusive:
		return "inconclusive"
	case railyard.ReasonVerificationAborted:
		return "aborted"
	}
	return ""
}

func phaseOf(promos []railyard.Promotion, name string, def railyard.PromotionPhase) string {
	for i := range promos {
		if promos[i].Name == name {
			return string(orPhase(promos[i].Status.Phase, def))
		}
	}
	return string(def)
}

func orPhase(p, def railyard.PromotionPhase) railyard.PromotionPhase {
	if p == "" {
		return def
	}
	return p
}

// newer orders Promotions by creation, then by name: names carry a ULID,
// which sorts by time within a second.
func Newer(a, b *railyard.Promotion) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return b.CreationTimestamp.Before(&a.CreationTimestamp)
	}
	return a.Name > b.Name
}
