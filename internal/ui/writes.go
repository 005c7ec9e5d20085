package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/actions"
	"github.com/railyard-dev/railyard/internal/freight"
	"github.com/railyard-dev/railyard/internal/ui/auth"
	"github.com/railyard-dev/railyard/internal/ui/kube"
)

// Every write below goes through Access.ClientFor: the API server sees the
// person (impersonated), so RBAC and admission decide, and a refusal comes
// back naming the verb and resource they lack.

// writeTimeout bounds each action's requests to the API server.
const writeTimeout = 20 * time.Second

// refresh sets the refresh annotation, as 'railyard refresh warehouse' does.
func (s *Server) refresh(w http.ResponseWriter, r *http.Request) {
	ns, name := r.PathValue("ns"), r.PathValue("name")
	id := identity(r)
	c, err := s.opts.Access.ClientFor(id)
	if err == nil {
		wh := &railyard.Warehouse{}
		wh.Namespace, wh.Name = ns, name
		err = patchAnnotation(r, c, wh, railyard.AnnotationRefresh, s.opts.Now().UTC().Format(time.RFC3339))
	}
	if err != nil {
		user, _ := s.opts.Access.Subject(id)
		s.renderWarehouse(w, r, errorStatus(kube.Explain(err, user, "patch", "warehouses", name, ns)), "", kube.Explain(err, user, "patch", "warehouses", name, ns).Error())
		return
	}
	http.Redirect(w, r, pagePath(ns, "warehouses", name)+"?msg=refreshed", http.StatusSeeOther)
}

// createFreight creates Freight from the versions chosen per subscription,
// as 'railyard create freight' does: named by its content, so creating it
// twice finds the existing one.
func (s *Server) createFreight(w http.ResponseWriter, r *http.Request) {
	ns, name := r.PathValue("ns"), r.PathValue("name")
	id := identity(r)
	user, _ := s.opts.Access.Subject(id)
	failed := func(err error) { s.renderWarehouse(w, r, errorStatus(err), "", err.Error()) }
	if err := s.canRead(r.Context(), id, ns, "warehouses", "freights"); err != nil {
		failed(err)
		return
	}
	var wh railyard.Warehouse
	if err := s.get(r.Context(), ns, name, "Warehouse", &wh); err != nil {
		failed(err)
		return
	}
	f, err := actions.SelectArtifacts(&wh, selectionFrom(r, &wh))
	if err != nil {
		failed(err)
		return
	}
	f.Namespace = ns
	f.Name = freight.IDOf(f)
	c, err := s.opts.Access.ClientFor(id)
	if err != nil {
		failed(err)
		return
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	// Reads (is it there already? is the alias free?) from the cache the
	// person may read; the create as the person.
	got, created, err := actions.CreateFreight(ctx, s.reader, c, f, r.PostFormValue("alias"), false)
	var taken *freight.AliasTakenError
	var apiErr *actions.APIError
	switch {
	case errors.As(err, &taken):
		failed(fmt.Errorf("%w; choose another alias", err))
		return
	case errors.As(err, &apiErr):
		failed(kube.Explain(apiErr.Err, user, apiErr.Verb, apiErr.Resource, apiErr.Name, ns))
		return
	case err != nil:
		failed(err)
		return
	}
	msg := "freight-exists"
	if created {
		msg = "freight"
		s.awaitCache(r.Context(), got)
		s.log.Info("freight created", "user", user, "namespace", ns, "freight", got.Name, "alias", got.Alias)
	}
	http.Redirect(w, r, pagePath(ns, "warehouses", name)+"?msg="+msg, http.StatusSeeOther)
}

// selectionFrom reads the form's version per subscription (fields
// image-N, chart-N, git-N, in the order of the discovered artifacts).
func selectionFrom(r *http.Request, wh *railyard.Warehouse) actions.Selection {
	var sel actions.Selection
	da := wh.Status.DiscoveredArtifacts
	if da == nil {
		return sel
	}
	for i, res := range da.Images {
		if v := r.PostFormValue(fmt.Sprintf("image-%d", i)); v != "" {
			sel.Images = append(sel.Images, &actions.Wanted{Flag: "image", Raw: res.RepoURL + ":" + v, Repo: freight.NormalizeImageURL(res.RepoURL), Version: v})
		}
	}
	for i, res := range da.Charts {
		if v := r.PostFormValue(fmt.Sprintf("chart-%d", i)); v != "" {
			sel.Charts = append(sel.Charts, &actions.Wanted{Flag: "chart", Raw: actions.ChartPath(res.RepoURL, res.Name) + ":" + v,
				Repo: actions.ChartPath(freight.NormalizeChartURL(res.RepoURL), res.Name), Version: v})
		}
	}
	for i, res := range da.Git {
		if v := r.PostFormValue(fmt.Sprintf("git-%d", i)); v != "" {
			sel.Commits = append(sel.Commits, &actions.Wanted{Flag: "commit", Raw: res.RepoURL + "@" + v, Repo: freight.NormalizeGitURL(res.RepoURL), Version: v})
		}
	}
	return sel
}

// promote creates a Promotion of the chosen Freight, or with upstream=W of
// what the Stage's upstream offers from Warehouse W (actions.PickUpstream),
// after checking the Freight is available to the Stage.
func (s *Server) promote(w http.ResponseWriter, r *http.Request) {
	s.createForStage(w, r, stageCreation{
		noun: "promotion", page: "promotions", explain: s.explainPromote,
		build: func(st *railyard.Stage, f *railyard.Freight, now time.Time) client.Object {
			return actions.NewPromotion(st, f, now)
		},
	})
}

// stageCreation is what a Stage page's button creates for the chosen
// Freight: a Promotion or a PromotionPreview.
type stageCreation struct {
	noun, page string
	build      func(*railyard.Stage, *railyard.Freight, time.Time) client.Object
	// explain words a refusal: which right the person lacks.
	explain func(*http.Request, error, *railyard.Stage) error
}

// createForStage creates what c builds for the Stage and the Freight the
// form chose, as the person, then waits for the cache and opens its page.
func (s *Server) createForStage(w http.ResponseWriter, r *http.Request, c stageCreation) {
	ns := r.PathValue("ns")
	id, user, failed := s.stageAction(w, r)
	var st railyard.Stage
	if err := s.readStage(r, id, &st); err != nil {
		failed(err)
		return
	}
	now := s.opts.Now()
	f, err := s.chosenFreight(r, &st, now)
	if err != nil {
		failed(err)
		return
	}
	obj := c.build(&st, f, now)
	kc, err := s.opts.Access.ClientFor(id)
	if err == nil {
		ctx, cancel := withTimeout(r)
		defer cancel()
		err = kc.Create(ctx, obj)
	}
	if err != nil {
		failed(c.explain(r, err, &st))
		return
	}
	s.awaitCache(r.Context(), obj)
	s.log.Info(c.noun+" created", "user", user, "namespace", ns, c.noun, obj.GetName(), "freight", f.Name)
	http.Redirect(w, r, pagePath(ns, c.page, obj.GetName())+"?msg=created", http.StatusSeeOther)
}

// chosenFreight is the Freight a Promote or Preview button names: the
// form's freight, which must be available to st, or with upstream=W the
// pick of Promote from upstream for Warehouse W.
func (s *Server) chosenFreight(r *http.Request, st *railyard.Stage, now time.Time) (*railyard.Freight, error) {
	if origin := r.PostFormValue("upstream"); origin != "" {
		var list railyard.FreightList
		if err := s.reader.List(r.Context(), &list, client.InNamespace(st.Namespace)); err != nil {
			return nil, err
		}
		return actions.PickUpstream(st, railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: origin}, list.Items, now)
	}
	f := &railyard.Freight{}
	if err := s.get(r.Context(), st.Namespace, r.PostFormValue("freight"), "Freight", f); err != nil {
		return nil, err
	}
	if ok, why := freight.IsAvailable(f, st, now); !ok {
		return nil, fmt.Errorf("freight %s is not available to stage %s: %s", freight.AliasOf(f), st.Name, why)
	}
	return f, nil
}

// abort asks the controller to stop a Promotion, as 'railyard abort
// promotion' does, naming the person as the actor.
func (s *Server) abort(w http.ResponseWriter, r *http.Request) {
	ns, name := r.PathValue("ns"), r.PathValue("name")
	id := identity(r)
	user, _ := s.opts.Access.Subject(id)
	value := railyard.AbortPromotionRequest{Action: railyard.AbortActionTerminate, Actor: user}.String()
	c, err := s.opts.Access.ClientFor(id)
	if err == nil {
		pr := &railyard.Promotion{}
		pr.Namespace, pr.Name = ns, name
		err = patchAnnotation(r, c, pr, railyard.AnnotationAbort, value)
	}
	if err != nil {
		err = kube.Explain(err, user, "patch", "promotions", name, ns)
		s.renderPromotion(w, r, errorStatus(err), "", err.Error())
		return
	}
	s.log.Info("promotion abort requested", "user", user, "namespace", ns, "promotion", name)
	http.Redirect(w, r, pagePath(ns, "promotions", name)+"?msg=abort", http.StatusSeeOther)
}

// patchAnnotation sets one annotation with a merge patch (no
// resourceVersion needed, other fields untouched).
func patchAnnotation(r *http.Request, c client.Client, obj client.Object, key, value string) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{key: value}}})
	if err != nil {
		return fmt.Errorf("encoding patch: %w", err)
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	return c.Patch(ctx, obj, client.RawPatch(types.MergePatchType, patch))
}

// explainPromote names what a refused promote lacks: RBAC's create on
// promotions, or the verb promote on the Stage that the admission policy
// (config/admission/promote_policy.yaml) asks for.
func (s *Server) explainPromote(r *http.Request, err error, st *railyard.Stage) error {
	id := identity(r)
	user, _ := s.opts.Access.Subject(id)
	err = kube.Explain(err, user, "create", "promotions", "", st.Namespace)
	var fe *kube.ForbiddenError
	if !errors.As(err, &fe) {
		return err
	}
	if ok, _, rerr := s.opts.Access.AllowedOn(r.Context(), id, "create", "promotions", "", st.Namespace); rerr == nil && ok {
		if ok, _, rerr := s.opts.Access.AllowedOn(r.Context(), id, "promote", "stages", st.Name, st.Namespace); rerr == nil && !ok {
			fe.Verb, fe.Resource, fe.Name = "promote", "stages", st.Name
		}
	}
	return fe
}

// approve records that a Freight may go to the Stage whatever the upstream
// Stages say (status.approvedFor), as 'railyard approve' does; it needs
// patch on freights/status.
func (s *Server) approve(w http.ResponseWriter, r *http.Request) {
	ns, name := r.PathValue("ns"), r.PathValue("name")
	id, user, failed := s.stageAction(w, r)
	var st railyard.Stage
	if err := s.readStage(r, id, &st); err != nil {
		failed(err)
		return
	}
	f := &railyard.Freight{}
	if err := s.get(r.Context(), ns, r.PostFormValue("freight"), "Freight", f); err != nil {
		failed(err)
		return
	}
	if actions.RequestFor(&st, f.Origin) == nil {
		failed(fmt.Errorf("stage %s does not request Freight from warehouse %s, so approving %s for it would have no effect", st.Name, f.Origin.Name, freight.AliasOf(f)))
		return
	}
	base := f.DeepCopy()
	if !freight.Approve(f, st.Name, s.opts.Now().UTC()) {
		http.Redirect(w, r, pagePath(ns, "stages", name)+"?msg=approved", http.StatusSeeOther)
		return
	}
	c, err := s.opts.Access.ClientFor(id)
	if err == nil {
		ctx, cancel := withTimeout(r)
		defer cancel()
		// The merge patch carries only the new approvedFor entry, as
		// 'railyard approve' sends it.
		err = c.Status().Patch(ctx, f, client.MergeFrom(base))
	}
	if err != nil {
		failed(kube.Explain(err, user, "patch", "freights/status", f.Name, ns))
		return
	}
	s.log.Info("freight approved", "user", user, "namespace", ns, "freight", f.Name, "stage", st.Name)
	http.Redirect(w, r, pagePath(ns, "stages", name)+"?msg=approved", http.StatusSeeOther)
}

// stageAction is what every action on a Stage page starts with: who asks,
// their name as the API server knows them, and how a failure is shown (the
// Stage page again, with the error).
func (s *Server) stageAction(w http.ResponseWriter, r *http.Request) (auth.Identity, string, func(error)) {
	id := identity(r)
	user, _ := s.opts.Access.Subject(id)
	return id, user, func(err error) { s.renderStage(w, r, errorStatus(err), err.Error()) }
}

// readStage reads the request's Stage once id may read Stages and Freight.
func (s *Server) readStage(r *http.Request, id auth.Identity, st *railyard.Stage) error {
	ns := r.PathValue("ns")
	if err := s.canRead(r.Context(), id, ns, "stages", "freights"); err != nil {
		return err
	}
	return s.get(r.Context(), ns, r.PathValue("name"), "Stage", st)
}
