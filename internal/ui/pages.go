package ui

import (
	"net/http"
	"net/url"
	"path"
	"sort"

	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/actions"
	"github.com/railyard-dev/railyard/internal/freight"
)

type projectRow struct {
	Name   string
	Stages []stageHealth
}

type stageHealth struct{ Name, Health string }

// projectsPage lists the projects whose Stages the person may list, each
// with its Stages' health.
func (s *Server) projectsPage(w http.ResponseWriter, r *http.Request) {
	ctx, id := r.Context(), identity(r)
	var projects railyard.ProjectList
	if err := s.reader.List(ctx, &projects); err != nil {
		s.fail(w, r, "", err)
		return
	}
	var rows []projectRow
	for _, p := range projects.Items {
		if ok, _, err := s.opts.Access.Allowed(ctx, id, "list", "stages", p.Name); err != nil || !ok {
			continue
		}
		row := projectRow{Name: p.Name}
		var stages railyard.StageList
		if err := s.reader.List(ctx, &stages, client.InNamespace(p.Name)); err != nil {
			s.fail(w, r, "", err)
			return
		}
		for _, st := range stages.Items {
			h := "Unknown"
			if st.Status.Health != nil && st.Status.Health.Status != "" {
				h = string(st.Status.Health.Status)
			}
			row.Stages = append(row.Stages, stageHealth{Name: st.Name, Health: h})
		}
		sort.Slice(row.Stages, func(i, j int) bool { return row.Stages[i].Name < row.Stages[j].Name })
		rows = append(rows, row)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	s.render(w, r, http.StatusOK, "projects", page{Events: "all=1", Data: rows})
}

// pipelineView is actions.Pipeline with Stages grouped by level and each
// Stage's artifacts spelt out.
type pipelineView struct {
	Warehouses []warehouseColumn
}

type warehouseColumn struct {
	actions.WarehouseView
	Levels [][]stageCard
}

type stageCard struct {
	actions.StageView
	Artifacts []chip
	// Behind names each upstream Stage that runs newer Freight than this
	// one, with that Freight's alias: what Promote from upstream would
	// consider.
	Behind []string
}

// chip is an artifact in a few characters (the repository's last path
// element, the tag, version or short commit), with the full text as Title.
type chip struct{ Text, Title string }

func (s *Server) pipelinePage(w http.ResponseWriter, r *http.Request) {
	ctx, ns := r.Context(), r.PathValue("ns")
	if err := s.canRead(ctx, identity(r), ns, "warehouses", "stages", "promotions", "freights"); err != nil {
		s.fail(w, r, ns, err)
		return
	}
	p, err := s.readProject(ctx, ns)
	if err != nil {
		s.fail(w, r, ns, err)
		return
	}
	byName := map[string]*railyard.Freight{}
	for i := range p.freight {
		byName[p.freight[i].Name] = &p.freight[i]
	}
	view := actions.BuildPipeline(ns, p.warehouses, p.stages, p.promotions, p.freight)
	var out pipelineView
	for _, wh := range view.Warehouses {
		col := warehouseColumn{WarehouseView: wh}
		running := map[string]actions.StageView{}
		for _, st := range wh.Stages {
			running[st.Name] = st
		}
		for _, st := range wh.Stages {
			// Level -1 marks an unknown upstream or a cycle: shown first.
			lvl := max(st.Level, 0)
			for len(col.Levels) <= lvl {
				col.Levels = append(col.Levels, nil)
			}
			card := stageCard{StageView: st, Behind: behind(st, running, byName)}
			if f := byName[st.Freight]; f != nil {
				card.Artifacts = chipsOf(f)
			}
			col.Levels[lvl] = append(col.Levels[lvl], card)
		}
		out.Warehouses = append(out.Warehouses, col)
	}
	s.render(w, r, http.StatusOK, "pipeline", page{Namespace: ns, Crumbs: crumbsFor(ns), Data: out})
}

// artifactList spells out a Freight's artifacts: image tags, chart
// versions and commits.
func artifactList(f *railyard.Freight) []string {
	var out []string
	for _, im := range f.Images {
		out = append(out, im.RepoURL+":"+im.Tag)
	}
	for _, ch := range f.Charts {
		out = append(out, "chart "+actions.ChartPath(ch.RepoURL, ch.Name)+":"+ch.Version)
	}
	for _, co := range f.Commits {
		id := co.ID
		if len(id) > 7 {
			id = id[:7]
		}
		out = append(out, "commit "+id+" "+co.Message)
	}
	return out
}

// behind lists the upstream Stages of st that run newer Freight (of this
// Warehouse) than st does.
func behind(st actions.StageView, running map[string]actions.StageView, byName map[string]*railyard.Freight) []string {
	var out []string
	for _, src := range st.Sources {
		up, ok := running[src]
		if !ok || up.Freight == "" || up.Freight == st.Freight {
			continue
		}
		upF, mine := byName[up.Freight], byName[st.Freight]
		if upF != nil && (mine == nil || freight.Newer(upF, mine)) {
			out = append(out, src+" runs newer "+up.Alias)
		}
	}
	return out
}

// chipsOf spells out a Freight's artifacts briefly, so a pipeline of many
// applications stays one line per artifact.
func chipsOf(f *railyard.Freight) []chip {
	var out []chip
	for _, im := range f.Images {
		out = append(out, chip{Text: path.Base(im.RepoURL) + ":" + im.Tag, Title: im.RepoURL + ":" + im.Tag})
	}
	for _, ch := range f.Charts {
		p := actions.ChartPath(ch.RepoURL, ch.Name)
		out = append(out, chip{Text: "chart " + path.Base(p) + " " + ch.Version, Title: "chart " + p + ":" + ch.Version})
	}
	for _, co := range f.Commits {
		id := co.ID
		if len(id) > 7 {
			id = id[:7]
		}
		subject := firstLine(co.Message)
		out = append(out, chip{Text: id + " " + subject, Title: co.RepoURL + " " + co.ID + " " + subject})
	}
	return out
}

func stageCrumb(ns, name string) crumb {
	return crumb{Name: "stage " + name, Href: "/projects/" + url.PathEscape(ns) + "/stages/" + url.PathEscape(name)}
}
