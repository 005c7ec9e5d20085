package ui

import (
	"context"
	"net/http"
	"sort"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/ui/auth"
)

// identity returns the person of the request (Require put the session
// there).
func identity(r *http.Request) auth.Identity {
	s, _ := auth.FromContext(r.Context())
	return s.Identity()
}

// canRead checks with the API server that the person may get and list the
// resources in ns before anything is read from the cache for them.
func (s *Server) canRead(ctx context.Context, id auth.Identity, ns string, resources ...string) error {
	for _, verb := range []string{"list", "get"} {
		if err := s.opts.Access.Check(ctx, id, verb, ns, resources...); err != nil {
			return err
		}
	}
	return nil
}

// project reads what a project's pages show, from the cache, for someone
// canRead already cleared.
type project struct {
	warehouses []railyard.Warehouse
	stages     []railyard.Stage
	promotions []railyard.Promotion
	freight    []railyard.Freight
}

func (s *Server) readProject(ctx context.Context, ns string) (*project, error) {
	p := &project{}
	var whs railyard.WarehouseList
	var sts railyard.StageList
	var prs railyard.PromotionList
	var frs railyard.FreightList
	for _, l := range []client.ObjectList{&whs, &sts, &prs, &frs} {
		if err := s.reader.List(ctx, l, client.InNamespace(ns)); err != nil {
			return nil, err
		}
	}
	p.warehouses, p.stages, p.promotions, p.freight = whs.Items, sts.Items, prs.Items, frs.Items
	return p, nil
}

// load is the preamble of an object's page: it checks the person may get
// and list resources in the request's namespace, reads the object named in
// the path into obj and the project around it. On failure it renders the
// error page and returns nil.
func (s *Server) load(w http.ResponseWriter, r *http.Request, kind string, obj client.Object, resources ...string) *project {
	ctx, ns, name := r.Context(), r.PathValue("ns"), r.PathValue("name")
	if err := s.canRead(ctx, identity(r), ns, resources...); err != nil {
		s.fail(w, r, ns, err)
		return nil
	}
	if err := s.get(ctx, ns, name, kind, obj); err != nil {
		s.fail(w, r, ns, err)
		return nil
	}
	p, err := s.readProject(ctx, ns)
	if err != nil {
		s.fail(w, r, ns, err)
		return nil
	}
	return p
}

// get reads one object from the cache; a missing one is errNotFound.
func (s *Server) get(ctx context.Context, ns, name, kind string, obj client.Object) error {
	if err := s.reader.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, obj); err != nil {
		if apierrors.IsNotFound(err) {
			return notFound(kind, name, ns, s.names(ctx, ns, kind))
		}
		return err
	}
	return nil
}

// names lists the objects of kind in ns, so a wrong name comes with the
// right ones (callers have checked the person may list kind there).
func (s *Server) names(ctx context.Context, ns, kind string) []string {
	var list client.ObjectList
	switch kind {
	case "Warehouse":
		list = &railyard.WarehouseList{}
	case "Stage":
		list = &railyard.StageList{}
	case "Promotion":
		list = &railyard.PromotionList{}
	case "Freight":
		list = &railyard.FreightList{}
	default:
		return nil
	}
	if err := s.reader.List(ctx, list, client.InNamespace(ns)); err != nil {
		return nil
	}
	var out []string
	_ = meta.EachListItem(list, func(o runtime.Object) error {
		if m, ok := o.(client.Object); ok {
			out = append(out, m.GetName())
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// awaitCache waits (briefly) until the cache holds an object the person
// just created, so the page they are sent to next shows it.
func (s *Server) awaitCache(ctx context.Context, obj client.Object) {
	key := client.ObjectKeyFromObject(obj)
	probe := obj.DeepCopyObject().(client.Object)
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if err := s.reader.Get(ctx, key, probe); err == nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}
