package cli

import (
	"context"
	"io"
	"path"
	"sort"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
)

// pipelineView is the data of get pipeline: per Warehouse, its Stages in
// promotion order.
type pipelineView struct {
	Namespace  string          `json:"namespace"`
	Warehouses []warehouseView `json:"warehouses"`
}

type warehouseView struct {
	Name string `json:"name"`
	// Missing is set when Stages request a Warehouse that does not exist.
	Missing bool `json:"missing,omitempty"`
	// NewestFreight is the alias (or name) of the Warehouse's newest
	// Freight by discovery time (hand-made Freight included), not the last
	// one the Warehouse made.
	NewestFreight string      `json:"newestFreight,omitempty"`
	Stages        []stageView `json:"stages"`
}

type stageView struct {
	Name string `json:"name"`
	// Level is 0 for Stages fed directly by the Warehouse, n+1 for Stages
	// fed by Stages of level n.
	Level int `json:"level"`
	// Sources are "direct" and/or upstream Stage names.
	Sources   []string       `json:"sources"`
	Freight   string         `json:"freight,omitempty"`
	Alias     string         `json:"alias,omitempty"`
	Images    []string       `json:"images,omitempty"`
	Health    string         `json:"health,omitempty"`
	Promotion *promotionView `json:"promotion,omitempty"`
}

type promotionView struct {
	Name  string `json:"name"`
	Phase string `json:"phase,omitempty"`
	// Running is true for the Stage's current (unfinished) Promotion.
	Running bool `json:"running"`
}

func newGetPipelineCommand(opts *Options) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:     "pipeline",
		Aliases: []string{"pipelines"},
		Short:   "Picture each Warehouse and its Stages in promotion order",
		Long: "Shows, per Warehouse, its Stages in promotion order (those fed directly first),\n" +
			"each with its current Freight, health, and running or last Promotion.",
		Example: "  railyard get pipeline --project demo",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			return getPipeline(cmd.Context(), opts, format)
		},
	}
	addOutputFlag(cmd, &format)
	return cmd
}

func getPipeline(ctx context.Context, opts *Options, format string) error {
	c, ns, err := opts.Client()
	if err != nil {
		return err
	}
	var whs railyard.WarehouseList
	if err := c.List(ctx, &whs, client.InNamespace(ns)); err != nil {
		return explain(err, "list", "warehouses", "", ns)
	}
	var stages railyard.StageList
	if err := c.List(ctx, &stages, client.InNamespace(ns)); err != nil {
		return explain(err, "list", "stages", "", ns)
	}
	var promos railyard.PromotionList
	if err := c.List(ctx, &promos, client.InNamespace(ns)); err != nil {
		return explain(err, "list", "promotions", "", ns)
	}
	fr, err := listFreight(ctx, c, ns, "")
	if err != nil {
		return err
	}
	view := buildPipeline(ns, whs.Items, stages.Items, promos.Items, fr)
	return printData(opts.Out, format, view, func(w io.Writer) error { return renderPipeline(w, view) })
}

// buildPipeline computes the view from listed objects; it is pure so the
// ordering rules can be tested without a cluster.
func buildPipeline(ns string, whs []railyard.Warehouse, stages []railyard.Stage, promos []railyard.Promotion, fr []railyard.Freight) pipelineView {
	aliases := map[string]string{}
	newest := map[string]*railyard.Freight{}
	for i := range fr {
		f := &fr[i]
		aliases[f.Name] = aliasOf(f)
		if n := newest[f.Origin.Name]; n == nil || freight.Newer(f, n) {
			newest[f.Origin.Name] = f
		}
	}
	names := map[string]bool{}
	view := pipelineView{Namespace: ns, Warehouses: []warehouseView{}}
	for _, wh := range whs {
		names[wh.Name] = true
		wv := warehouseView{Name: wh.Name}
		if n := newest[wh.Name]; n != nil {
			wv.NewestFreight = orAlias(aliases, n.Name)
		}
		view.Warehouses = append(view.Warehouses, wv)
	}
	for _, st := range stages {
		for _, r := range st.Spec.RequestedFreight {
			if !names[r.Origin.Name] {
				names[r.Origin.Name] = true
				view.Warehouses = append(view.Warehouses, warehouseView{Name: r.Origin.Name, Missing: true})
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

func orAlias(aliases map[string]string, name string) string {
	if a := aliases[name]; a != "" {
		return a
	}
	return short(name, 7)
}

// stagesOf returns the Stages requesting origin, ordered by level, then
// name.
func stagesOf(origin railyard.FreightOrigin, stages []railyard.Stage, promos []railyard.Promotion, aliases map[string]string) []stageView {
	byName := map[string]*railyard.Stage{}
	for i := range stages {
		if requestFor(&stages[i], origin) != nil {
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
		req := requestFor(st, origin)
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
	out := make([]stageView, 0, len(byName))
	for _, name := range sorted {
		st := byName[name]
		req := requestFor(st, origin)
		sv := stageView{Name: name, Level: level(name, map[string]bool{})}
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
		sv.Promotion = promotionOf(st, promos)
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

// promotionOf returns the Stage's running Promotion, else its last one.
// Stage status is authoritative; Promotions listed directly fill in when
// the Stage controller has not caught up yet.
func promotionOf(st *railyard.Stage, promos []railyard.Promotion) *promotionView {
	if cur := st.Status.CurrentPromotion; cur != nil {
		return &promotionView{Name: cur.Name, Phase: phaseOf(promos, cur.Name, railyard.PromotionPhaseRunning), Running: true}
	}
	var running, last *railyard.Promotion
	for i := range promos {
		p := &promos[i]
		if p.Spec.Stage != st.Name {
			continue
		}
		if p.Status.Phase.IsTerminal() {
			if last == nil || newer(p, last) {
				last = p
			}
		} else if running == nil || newer(p, running) {
			running = p
		}
	}
	if running != nil {
		return &promotionView{Name: running.Name, Phase: string(orPhase(running.Status.Phase, railyard.PromotionPhasePending)), Running: true}
	}
	if lp := st.Status.LastPromotion; lp != nil {
		pv := &promotionView{Name: lp.Name}
		if lp.Status != nil {
			pv.Phase = string(lp.Status.Phase)
		}
		return pv
	}
	if last != nil {
		return &promotionView{Name: last.Name, Phase: string(last.Status.Phase)}
	}
	return nil
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
func newer(a, b *railyard.Promotion) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return b.CreationTimestamp.Before(&a.CreationTimestamp)
	}
	return a.Name > b.Name
}
