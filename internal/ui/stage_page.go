package ui

import (
	"net/http"
	"sort"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/actions"
	"github.com/railyard-dev/railyard/internal/freight"
)

type stageData struct {
	Name, Health, Ready string
	Current             []string
	Origins             []string
	Freight             []freightRow
	Promotions          []promotionRow
	History             [][]string
}

type promotionRow struct{ Name, Freight, Phase, Message string }

func (s *Server) stagePage(w http.ResponseWriter, r *http.Request) {
	s.renderStage(w, r, http.StatusOK, "")
}

func (s *Server) renderStage(w http.ResponseWriter, r *http.Request, status int, errMsg string) {
	notice := ""
	if status == http.StatusOK {
		notice = notices[r.URL.Query().Get("msg")]
	}
	ns, name := r.PathValue("ns"), r.PathValue("name")
	var st railyard.Stage
	p := s.load(w, r, "Stage", &st, "stages", "freights", "promotions")
	if p == nil {
		return
	}
	aliases := map[string]string{}
	for i := range p.freight {
		aliases[p.freight[i].Name] = freight.AliasOf(&p.freight[i])
	}
	d := stageData{Name: st.Name}
	if st.Status.Health != nil {
		d.Health = string(st.Status.Health.Status)
	}
	for _, c := range st.Status.Conditions {
		if c.Type == railyard.ConditionReady {
			d.Ready = c.Message
		}
	}
	for _, req := range st.Spec.RequestedFreight {
		d.Origins = append(d.Origins, req.Origin.Name)
	}
	for i, h := range st.Status.FreightHistory {
		var names []string
		for _, ref := range h.Freight {
			names = append(names, actions.OrAlias(aliases, ref.Name))
		}
		sort.Strings(names)
		if i == 0 {
			d.Current = names
		}
		d.History = append(d.History, names)
	}
	// Every Freight the Stage requests, newest first; available ones can be
	// promoted, the others say why not (freight.IsAvailable).
	var candidates []*railyard.Freight
	for i := range p.freight {
		if actions.RequestFor(&st, p.freight[i].Origin) != nil {
			candidates = append(candidates, &p.freight[i])
		}
	}
	freight.SortNewestFirst(candidates)
	now := s.opts.Now()
	for _, f := range candidates {
		row := freightRowOf(f)
		row.Available, row.Reason = freight.IsAvailable(f, &st, now)
		d.Freight = append(d.Freight, row)
	}
	var promos []*railyard.Promotion
	for i := range p.promotions {
		if p.promotions[i].Spec.Stage == st.Name {
			promos = append(promos, &p.promotions[i])
		}
	}
	sort.Slice(promos, func(i, j int) bool { return actions.Newer(promos[i], promos[j]) })
	for _, pr := range promos {
		fname := pr.Spec.Freight
		if pr.Status.Freight != nil {
			fname = pr.Status.Freight.Name
		}
		d.Promotions = append(d.Promotions, promotionRow{Name: pr.Name, Freight: actions.OrAlias(aliases, fname),
			Phase: string(pr.Status.Phase), Message: pr.Status.Message})
	}
	s.render(w, r, status, "stage", page{Namespace: ns, Crumbs: crumbsFor(ns, stageCrumb(ns, name)), Notice: notice, Error: errMsg, Data: d})
}
