package ui

import (
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

// freightEntry is one Freight of the timeline.
type freightEntry struct {
	Name, Alias, Origin, DiscoveredAt string
	Images, Charts                    []string
	Commits                           []commitLine
	In, Verified, Approved            []string
}

type commitLine struct{ Repo, ID, Subject string }

// freightDetail is one Freight's page: its artifacts in full and, for a
// chosen Stage, what changes when that Stage takes it.
type freightDetail struct {
	freightEntry
	Artifacts []artifactFull
	// Stages request this Freight's Warehouse; Compare is the chosen one.
	Stages  []string
	Compare string
	// Running is what Compare runs now (alias), empty for nothing.
	Running string
	Changes []actions.Change
}

type artifactFull struct{ Kind, Repo, Version, Detail string }

// maxTimeline bounds the timeline: a project of 1,000 applications has
// thousands of Freight; ?warehouse=W narrows it to one application.
const maxTimeline = 300

type timelineData struct {
	Rows         []freightEntry
	Warehouse    string
	Warehouses   []string
	Shown, Total int
}

// freightTimeline lists every Freight of the project (or of one Warehouse),
// newest first.
func (s *Server) freightTimeline(w http.ResponseWriter, r *http.Request) {
	ctx, ns := r.Context(), r.PathValue("ns")
	if err := s.canRead(ctx, identity(r), ns, "freights", "warehouses", "stages", "promotions"); err != nil {
		s.fail(w, r, ns, err)
		return
	}
	p, err := s.readProject(ctx, ns)
	if err != nil {
		s.fail(w, r, ns, err)
		return
	}
	d := timelineData{Warehouse: r.URL.Query().Get("warehouse")}
	for i := range p.warehouses {
		d.Warehouses = append(d.Warehouses, p.warehouses[i].Name)
	}
	sort.Strings(d.Warehouses)
	var all []*railyard.Freight
	for i := range p.freight {
		if d.Warehouse == "" || p.freight[i].Origin.Name == d.Warehouse {
			all = append(all, &p.freight[i])
		}
	}
	freight.SortNewestFirst(all)
	d.Total = len(all)
	now := s.opts.Now()
	for _, f := range all[:min(len(all), maxTimeline)] {
		d.Rows = append(d.Rows, entryOf(f, now))
	}
	d.Shown = len(d.Rows)
	s.render(w, r, http.StatusOK, "freights", page{Namespace: ns, Crumbs: crumbsFor(ns, freightCrumb(ns)), Data: d})
}

// freightPage shows one Freight and, with ?stage=S, what changes when S
// takes it.
func (s *Server) freightPage(w http.ResponseWriter, r *http.Request) {
	ns := r.PathValue("ns")
	var f railyard.Freight
	p := s.load(w, r, "Freight", &f, "freights", "warehouses", "stages", "promotions")
	if p == nil {
		return
	}
	d := freightDetail{freightEntry: entryOf(&f, s.opts.Now()), Artifacts: artifactsOf(&f)}
	var wh *railyard.Warehouse
	for i := range p.warehouses {
		if p.warehouses[i].Name == f.Origin.Name {
			wh = &p.warehouses[i]
		}
	}
	want := r.URL.Query().Get("stage")
	for i := range p.stages {
		st := &p.stages[i]
		if actions.RequestFor(st, f.Origin) == nil {
			continue
		}
		d.Stages = append(d.Stages, st.Name)
		if st.Name != want {
			continue
		}
		d.Compare = st.Name
		var running *railyard.Freight
		if ref := currentRef(st, f.Origin); ref != nil {
			running = &railyard.Freight{Images: ref.Images, Charts: ref.Charts, Commits: ref.Commits}
			d.Running = actions.OrAlias(aliasesOf(p.freight), ref.Name)
		}
		d.Changes = actions.ChangesBetween(running, &f, wh)
	}
	sort.Strings(d.Stages)
	errMsg := ""
	if want != "" && d.Compare == "" {
		errMsg = fmt.Sprintf("Stage %s does not request Freight from Warehouse %s; compare with one that does: %s",
			want, f.Origin.Name, strings.Join(d.Stages, ", "))
	}
	crumbs := crumbsFor(ns, freightCrumb(ns), crumb{Name: "freight " + d.Alias, Href: r.URL.Path})
	s.render(w, r, http.StatusOK, "freight", page{Namespace: ns, Crumbs: crumbs, Error: errMsg, Data: d})
}

// currentRef is the Freight of origin a Stage runs now, if any.
func currentRef(st *railyard.Stage, origin railyard.FreightOrigin) *railyard.FreightReference {
	if len(st.Status.FreightHistory) == 0 {
		return nil
	}
	ref, ok := st.Status.FreightHistory[0].Freight[origin.String()]
	if !ok {
		return nil
	}
	return &ref
}

func aliasesOf(fs []railyard.Freight) map[string]string {
	out := make(map[string]string, len(fs))
	for i := range fs {
		out[fs[i].Name] = freight.AliasOf(&fs[i])
	}
	return out
}

func entryOf(f *railyard.Freight, now time.Time) freightEntry {
	e := freightEntry{Name: f.Name, Alias: freight.AliasOf(f), Origin: f.Origin.Name}
	if e.Alias == "" {
		e.Alias = actions.OrAlias(nil, f.Name)
	}
	if f.DiscoveredAt != nil {
		e.DiscoveredAt = f.DiscoveredAt.UTC().Format(time.DateTime)
	} else {
		e.DiscoveredAt = f.CreationTimestamp.UTC().Format(time.DateTime)
	}
	for _, im := range f.Images {
		e.Images = append(e.Images, im.RepoURL+":"+im.Tag)
	}
	for _, ch := range f.Charts {
		e.Charts = append(e.Charts, actions.ChartPath(ch.RepoURL, ch.Name)+":"+ch.Version)
	}
	for _, co := range f.Commits {
		e.Commits = append(e.Commits, commitLine{Repo: co.RepoURL, ID: co.ID, Subject: firstLine(co.Message)})
	}
	for st := range f.Status.CurrentlyIn {
		e.In = append(e.In, st)
	}
	for st, v := range f.Status.VerifiedIn {
		label := st
		if soaked := freight.Soaked(f, v, st, now); soaked > 0 {
			label += " (soaked " + soaked.Round(time.Minute).String() + ")"
		}
		e.Verified = append(e.Verified, label)
	}
	for st := range f.Status.ApprovedFor {
		e.Approved = append(e.Approved, st)
	}
	for _, l := range [][]string{e.In, e.Verified, e.Approved} {
		sort.Strings(l)
	}
	return e
}

func artifactsOf(f *railyard.Freight) []artifactFull {
	var out []artifactFull
	for _, im := range f.Images {
		out = append(out, artifactFull{Kind: "image", Repo: im.RepoURL, Version: im.Tag, Detail: im.Digest})
	}
	for _, ch := range f.Charts {
		out = append(out, artifactFull{Kind: "chart", Repo: actions.ChartPath(ch.RepoURL, ch.Name), Version: ch.Version})
	}
	for _, co := range f.Commits {
		detail := co.Message
		if co.Author != "" {
			detail = co.Author + ": " + detail
		}
		v := co.ID
		if co.Tag != "" {
			v = co.Tag + " " + co.ID
		}
		out = append(out, artifactFull{Kind: "git", Repo: co.RepoURL, Version: v, Detail: detail})
	}
	return out
}

func firstLine(s string) string {
	for i, c := range s {
		if c == '\n' {
			return s[:i]
		}
	}
	return s
}

func freightCrumb(ns string) crumb {
	return crumb{Name: "freight", Href: "/projects/" + url.PathEscape(ns) + "/freight"}
}
