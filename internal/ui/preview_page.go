package ui

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/actions"
	"github.com/railyard-dev/railyard/internal/freight"
	"github.com/railyard-dev/railyard/internal/ui/kube"
)

// A preview shows what promoting a Freight would commit: the button
// creates a PromotionPreview as the person (so RBAC and the admission
// policy decide, as for Promote), the manager runs it, and the preview
// page shows its steps and diffs, live.

type previewData struct {
	Name, Stage, Freight, Phase, Message string
	Finished                             bool
	Steps                                []previewStepRow
	Commits                              []railyard.PreviewCommit
}

type previewStepRow struct {
	Index                        int
	Alias, Uses, Status, Message string
}

const previewCreated = "Preview requested. The manager runs the Stage's steps up to the last git-commit, pushing nothing; the result appears here."

// preview creates a PromotionPreview of the chosen Freight (or, with
// upstream=W, of what Promote from upstream would pick).
func (s *Server) preview(w http.ResponseWriter, r *http.Request) {
	s.createForStage(w, r, stageCreation{
		noun: "preview", page: "previews", explain: s.explainPreview,
		build: func(st *railyard.Stage, f *railyard.Freight, now time.Time) client.Object {
			return actions.NewPreview(st, f, now)
		},
	})
}

// explainPreview names what a refused preview lacks: RBAC's create on
// promotionpreviews, or the verb promote on the Stage that the admission
// policy (config/admission/preview_policy.yaml) asks for.
func (s *Server) explainPreview(r *http.Request, err error, st *railyard.Stage) error {
	id := identity(r)
	user, _ := s.opts.Access.Subject(id)
	err = kube.Explain(err, user, "create", "promotionpreviews", "", st.Namespace)
	var fe *kube.ForbiddenError
	if !errors.As(err, &fe) {
		return err
	}
	if ok, _, rerr := s.opts.Access.AllowedOn(r.Context(), id, "create", "promotionpreviews", "", st.Namespace); rerr == nil && ok {
		if ok, _, rerr := s.opts.Access.AllowedOn(r.Context(), id, "promote", "stages", st.Name, st.Namespace); rerr == nil && !ok {
			fe.Verb, fe.Resource, fe.Name = "promote", "stages", st.Name
		}
	}
	return fe
}

// previewPage shows a preview's steps and the diff of each commit.
func (s *Server) previewPage(w http.ResponseWriter, r *http.Request) {
	ctx, ns, name := r.Context(), r.PathValue("ns"), r.PathValue("name")
	if err := s.canRead(ctx, identity(r), ns, "promotionpreviews"); err != nil {
		s.fail(w, r, ns, err)
		return
	}
	var p railyard.PromotionPreview
	if err := s.reader.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &p); err != nil {
		if apierrors.IsNotFound(err) {
			err = fmt.Errorf("%w: preview %s does not exist in project %s; previews are deleted an hour after they finish, so preview again from the Stage's page", errNotFound, name, ns)
		}
		s.fail(w, r, ns, err)
		return
	}
	d := previewData{Name: p.Name, Stage: p.Spec.Stage, Freight: p.Spec.Freight, Phase: string(p.Status.Phase),
		Message: p.Status.Message, Finished: p.Status.Phase.IsTerminal(), Commits: p.Status.Commits}
	if p.Status.Freight != nil {
		d.Freight = p.Status.Freight.Name
	}
	var f railyard.Freight
	if err := s.reader.Get(ctx, client.ObjectKey{Namespace: ns, Name: d.Freight}, &f); err == nil {
		d.Freight = freight.AliasOf(&f)
	}
	if d.Phase == "" {
		d.Phase = string(railyard.PreviewPhasePending)
	}
	for i, st := range p.Status.Steps {
		d.Steps = append(d.Steps, previewStepRow{Index: i + 1, Alias: st.Alias, Uses: st.Uses, Status: string(st.Status), Message: st.Message})
	}
	notice := ""
	if r.URL.Query().Get("msg") == "created" {
		notice = previewCreated
	}
	crumbs := crumbsFor(ns, stageCrumb(ns, p.Spec.Stage), crumb{Name: "preview " + shortName(p.Name), Href: r.URL.Path})
	s.render(w, r, http.StatusOK, "preview", page{Namespace: ns, Crumbs: crumbs, Notice: notice, Data: d})
}
