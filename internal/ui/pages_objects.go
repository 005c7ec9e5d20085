package ui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/actions"
	"github.com/railyard-dev/railyard/internal/freight"
)

type warehouseData struct {
	Name          string
	Progress      string
	LastRefresh   string
	Subscriptions []string
	Discovered    []discovered
	Freight       []freightRow
}

// discovered is one subscription's discovered versions; Field names its
// select in the Create Freight form.
type discovered struct {
	Kind, Repo, Field string
	Versions          []version
}

type version struct {
	Version, Detail string
	Freight         []string
}

type freightRow struct {
	Name, Alias string
	Artifacts   []string
	In          []string
	Available   bool
	Reason      string
}

func (s *Server) warehousePage(w http.ResponseWriter, r *http.Request) {
	s.renderWarehouse(w, r, http.StatusOK, notices[r.URL.Query().Get("msg")], "")
}

func (s *Server) renderWarehouse(w http.ResponseWriter, r *http.Request, status int, notice, errMsg string) {
	ctx, ns, name := r.Context(), r.PathValue("ns"), r.PathValue("name")
	if err := s.canRead(ctx, identity(r), ns, "warehouses", "freights"); err != nil {
		s.fail(w, r, ns, err)
		return
	}
	var wh railyard.Warehouse
	if err := s.get(ctx, ns, name, "Warehouse", &wh); err != nil {
		s.fail(w, r, ns, err)
		return
	}
	p, err := s.readProject(ctx, ns)
	if err != nil {
		s.fail(w, r, ns, err)
		return
	}
	d := warehouseData{Name: wh.Name, Progress: progressOf(&wh), LastRefresh: wh.Status.LastHandledRefresh}
	for _, sub := range wh.Spec.Subscriptions {
		switch {
		case sub.Image != nil:
			d.Subscriptions = append(d.Subscriptions, "image "+sub.Image.RepoURL)
		case sub.Chart != nil:
			d.Subscriptions = append(d.Subscriptions, "chart "+actions.ChartPath(sub.Chart.RepoURL, sub.Chart.Name))
		case sub.Git != nil:
			d.Subscriptions = append(d.Subscriptions, "git "+sub.Git.RepoURL)
		}
	}
	var mine []*railyard.Freight
	for i := range p.freight {
		if p.freight[i].Origin.Name == wh.Name {
			mine = append(mine, &p.freight[i])
		}
	}
	freight.SortNewestFirst(mine)
	d.Discovered = discoveredOf(wh.Status.DiscoveredArtifacts, mine)
	for _, f := range mine {
		d.Freight = append(d.Freight, freightRowOf(f))
	}
	s.render(w, r, status, "warehouse", page{Namespace: ns, Crumbs: crumbsFor(ns, crumb{Name: "warehouse " + name, Href: r.URL.Path}),
		Notice: notice, Error: errMsg, Data: d})
}

func freightRowOf(f *railyard.Freight) freightRow {
	row := freightRow{Name: f.Name, Alias: actions.OrAlias(map[string]string{f.Name: freight.AliasOf(f)}, f.Name), Artifacts: artifactList(f)}
	for st := range f.Status.CurrentlyIn {
		row.In = append(row.In, st)
	}
	sort.Strings(row.In)
	return row
}

// discoveredOf lists what discovery found, newest first per subscription,
// with the Freight (by alias) holding each version.
func discoveredOf(da *railyard.DiscoveredArtifacts, fs []*railyard.Freight) []discovered {
	if da == nil {
		return nil
	}
	holders := func(match func(f *railyard.Freight) bool) []string {
		var out []string
		for _, f := range fs {
			if match(f) {
				out = append(out, freight.AliasOf(f))
			}
		}
		return out
	}
	var out []discovered
	for i, res := range da.Images {
		d := discovered{Kind: "image", Repo: res.RepoURL, Field: fmt.Sprintf("image-%d", i)}
		for _, ref := range res.References {
			d.Versions = append(d.Versions, version{Version: ref.Tag, Detail: shortDigest(ref.Digest), Freight: holders(func(f *railyard.Freight) bool {
				for _, im := range f.Images {
					if im.RepoURL == res.RepoURL && im.Tag == ref.Tag {
						return true
					}
				}
				return false
			})})
		}
		out = append(out, d)
	}
	for i, res := range da.Charts {
		d := discovered{Kind: "chart", Repo: actions.ChartPath(res.RepoURL, res.Name), Field: fmt.Sprintf("chart-%d", i)}
		for _, v := range res.Versions {
			d.Versions = append(d.Versions, version{Version: v, Freight: holders(func(f *railyard.Freight) bool {
				for _, ch := range f.Charts {
					if ch.RepoURL == res.RepoURL && ch.Name == res.Name && ch.Version == v {
						return true
					}
				}
				return false
			})})
		}
		out = append(out, d)
	}
	for i, res := range da.Git {
		d := discovered{Kind: "git", Repo: res.RepoURL, Field: fmt.Sprintf("git-%d", i)}
		for _, co := range res.Commits {
			d.Versions = append(d.Versions, version{Version: co.ID, Detail: co.Subject, Freight: holders(func(f *railyard.Freight) bool {
				for _, c := range f.Commits {
					if c.RepoURL == res.RepoURL && c.ID == co.ID {
						return true
					}
				}
				return false
			})})
		}
		out = append(out, d)
	}
	return out
}

func shortDigest(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}

// progressOf is the Warehouse controller's latest word: a subscription
// error, else the Reconciling or Ready message.
func progressOf(wh *railyard.Warehouse) string {
	for _, sub := range wh.Status.Subscriptions {
		if sub.LastError != "" {
			return fmt.Sprintf("%s %s: %s", sub.Kind, sub.RepoURL, sub.LastError)
		}
	}
	for _, t := range []string{railyard.ConditionReconciling, railyard.ConditionReady} {
		for _, c := range wh.Status.Conditions {
			if c.Type == t && c.Message != "" {
				return c.Type + ": " + c.Message
			}
		}
	}
	return ""
}

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
	ctx, ns, name := r.Context(), r.PathValue("ns"), r.PathValue("name")
	if err := s.canRead(ctx, identity(r), ns, "stages", "freights", "promotions"); err != nil {
		s.fail(w, r, ns, err)
		return
	}
	var st railyard.Stage
	if err := s.get(ctx, ns, name, "Stage", &st); err != nil {
		s.fail(w, r, ns, err)
		return
	}
	p, err := s.readProject(ctx, ns)
	if err != nil {
		s.fail(w, r, ns, err)
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
	s.render(w, r, status, "stage", page{Namespace: ns, Crumbs: crumbsFor(ns, stageCrumb(ns, name)), Error: errMsg, Data: d})
}

type promotionData struct {
	Name, Stage, Freight, Phase, Message string
	Finished, AbortRequested             bool
	AbortActor                           string
	Steps                                []stepRow
}

type stepRow struct {
	Index                           int
	Name, Status, Duration, Message string
}

func (s *Server) promotionPage(w http.ResponseWriter, r *http.Request) {
	s.renderPromotion(w, r, http.StatusOK, r.URL.Query().Get("msg"), "")
}

// notices are the fixed messages a redirect after an action may ask for;
// the query names one, so no text from a URL reaches the page.
var notices = map[string]string{
	"created":   "Promotion created. Its steps appear here as the controller runs them.",
	"abort":     "Abort requested. The controller stops the running step and marks the Promotion Aborted.",
	"refreshed": "Refresh requested: the Warehouse controller discovers artifacts now.",
	"freight":   "Freight created.",
}

func (s *Server) renderPromotion(w http.ResponseWriter, r *http.Request, status int, msg, errMsg string) {
	ctx, ns, name := r.Context(), r.PathValue("ns"), r.PathValue("name")
	if err := s.canRead(ctx, identity(r), ns, "promotions"); err != nil {
		s.fail(w, r, ns, err)
		return
	}
	var pr railyard.Promotion
	if err := s.get(ctx, ns, name, "Promotion", &pr); err != nil {
		s.fail(w, r, ns, err)
		return
	}
	d := promotionData{Name: pr.Name, Stage: pr.Spec.Stage, Freight: pr.Spec.Freight, Phase: string(pr.Status.Phase),
		Message: pr.Status.Message, Finished: pr.Status.Phase.IsTerminal()}
	if d.Phase == "" {
		d.Phase = string(railyard.PromotionPhasePending)
	}
	if v, ok := pr.Annotations[railyard.AnnotationAbort]; ok {
		d.AbortRequested = true
		var req actions.AbortRequest
		if json.Unmarshal([]byte(v), &req) == nil {
			d.AbortActor = req.Actor
		}
	}
	for i, step := range pr.Spec.Steps {
		row := stepRow{Index: i + 1, Name: step.As}
		if row.Name == "" {
			row.Name = step.Uses
		} else if step.Uses != "" {
			row.Name += " (" + step.Uses + ")"
		}
		if i < len(pr.Status.StepExecutionMetadata) {
			m := pr.Status.StepExecutionMetadata[i]
			row.Status, row.Message = string(m.Status), m.Message
			if m.StartedAt != nil {
				end := s.opts.Now()
				if m.FinishedAt != nil {
					end = m.FinishedAt.Time
				}
				row.Duration = end.Sub(m.StartedAt.Time).Round(100 * time.Millisecond).String()
			}
		}
		d.Steps = append(d.Steps, row)
	}
	crumbs := crumbsFor(ns, stageCrumb(ns, pr.Spec.Stage), crumb{Name: "promotion " + shortName(pr.Name), Href: r.URL.Path})
	s.render(w, r, status, "promotion", page{Namespace: ns, Crumbs: crumbs, Notice: notices[msg], Error: errMsg, Data: d})
}

func shortName(n string) string {
	if i := strings.LastIndex(n, "."); i > 0 {
		return n[i+1:]
	}
	return n
}

func pagePath(ns, kind, name string) string {
	return "/projects/" + url.PathEscape(ns) + "/" + kind + "/" + url.PathEscape(name)
}
