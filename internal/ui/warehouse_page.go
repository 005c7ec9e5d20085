package ui

import (
	"fmt"
	"net/http"
	"sort"

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
	ns, name := r.PathValue("ns"), r.PathValue("name")
	var wh railyard.Warehouse
	p := s.load(w, r, "Warehouse", &wh, "warehouses", "freights")
	if p == nil {
		return
	}
	d := warehouseData{Name: wh.Name, Progress: actions.WarehouseProgress(&wh), LastRefresh: wh.Status.LastHandledRefresh}
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
