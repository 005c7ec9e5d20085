package ui

import (
	"net/http"
	"net/url"
	"strings"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

type promotionData struct {
	Name, Stage, Freight, Phase, Message string
	Finished, AbortRequested             bool
	AbortActor                           string
	Steps                                []stepRow
	Commits                              []commitMade
}

func (s *Server) promotionPage(w http.ResponseWriter, r *http.Request) {
	s.renderPromotion(w, r, http.StatusOK, r.URL.Query().Get("msg"), "")
}

// notices are the fixed messages a redirect after an action may ask for;
// the query names one, so no text from a URL reaches the page.
var notices = map[string]string{
	"created":        "Promotion created. Its steps appear here as the controller runs them.",
	"abort":          "Abort requested. The controller stops the running step and marks the Promotion Aborted.",
	"refreshed":      "Refresh requested: the Warehouse controller discovers artifacts now.",
	"freight":        "Freight created.",
	"approved":       "Freight approved for this Stage.",
	"freight-exists": "Freight with these artifacts exists already; Freight is named by its content, so nothing was created.",
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
		d.AbortActor = railyard.ParseAbortPromotionRequest(v).Actor
	}
	d.Steps, d.Commits = s.stepRows(&pr)
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
