package webhook

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"k8s.io/apimachinery/pkg/types"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// generic is Kargo's generic receiver: it accepts any POST, authenticated
// by its secret-derived path alone (the Secret's "secret"), and runs the
// receiver's actions: each whose whenExpression holds refreshes the
// Warehouses its targetSelectionCriteria select.
type generic struct{}

func init() { register(generic{}) }

func (generic) Name() string      { return "generic" }
func (generic) SecretKey() string { return "secret" }

// Verify only checks the Secret has its key: the path, derived from it, is
// the credential.
func (g generic) Verify(_ *http.Request, _ []byte, secret map[string][]byte) error {
	_, err := secretValue(secret, g.SecretKey())
	return err
}

// Parse is never used by Handler, which calls act; it names nothing.
func (generic) Parse(*http.Request, []byte) (Event, error) {
	return Event{Type: "generic", Ignored: true}, nil
}

// Action results, as Kargo reports them.
const (
	resultNotApplicable  = "NotApplicable"
	resultError          = "Error"
	resultSuccess        = "Success"
	resultPartialSuccess = "PartialSuccess"
	resultFailure        = "Failure"
)

// actionResult is Kargo's per-action report: the action as configured, then
// what came of it.
type actionResult struct {
	railyard.GenericWebhookAction
	MatchedWhenExpression bool             `json:"matchedWhenExpression"`
	SelectedTargets       []selectedTarget `json:"selectedTargets,omitempty"`
	Result                string           `json:"result,omitempty"`
	Summary               string           `json:"summary,omitempty"`
}

type selectedTarget struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Success   bool   `json:"success"`
}

type genericResponse struct {
	Message string         `json:"message,omitempty"`
	Results []actionResult `json:"results"`
}

func (generic) act(ctx context.Context, d delivery) (int, any) {
	env, err := genericEnv(d.req, d.body)
	if err != nil {
		d.log.WarnContext(ctx, "webhook payload rejected", "error", err)
		return http.StatusBadRequest, response{Message: err.Error()}
	}
	var actions []railyard.GenericWebhookAction
	if c := d.rcv.Config.Generic; c != nil {
		actions = c.Actions
	}
	whs := &warehouseCache{list: d.rcv.Warehouses}
	results := make([]actionResult, len(actions))
	for i, a := range actions {
		results[i] = runAction(ctx, d, a, env, whs)
		d.log.InfoContext(ctx, "generic webhook action",
			"index", i, "result", results[i].Result, "summary", results[i].Summary, "targets", targetNames(results[i].SelectedTargets))
	}
	code := http.StatusOK
	if slices.ContainsFunc(results, func(r actionResult) bool {
		return r.Result == resultError || r.Result == resultFailure || r.Result == resultPartialSuccess
	}) {
		code = http.StatusInternalServerError
	}
	d.log.InfoContext(ctx, "generic webhook delivery handled", "actions", len(actions), "status", code)
	return code, genericResponse{Results: results}
}

// warehouseCache lists Warehouses once per delivery, when an action first
// needs them.
type warehouseCache struct {
	list   func(context.Context) ([]railyard.Warehouse, error)
	listed bool
	whs    []railyard.Warehouse
}

func (c *warehouseCache) get(ctx context.Context) ([]railyard.Warehouse, error) {
	if !c.listed {
		whs, err := c.list(ctx)
		if err != nil {
			return nil, err
		}
		c.whs, c.listed = whs, true
	}
	return c.whs, nil
}

// runAction runs one action.
func runAction(ctx context.Context, d delivery, a railyard.GenericWebhookAction, env map[string]any, whs *warehouseCache) actionResult {
	ar := actionResult{GenericWebhookAction: a}
	params := make(map[string]any, len(a.Parameters))
	for k, v := range a.Parameters {
		s, err := evalString(v, env)
		if err != nil {
			ar.Result, ar.Summary = resultError, fmt.Sprintf("Error evaluating parameter %q: %v", k, err)
			return ar
		}
		params[k] = s
	}
	env = withParams(env, params)
	met, err := evalWhen(a.WhenExpression, env)
	if err != nil {
		ar.Result, ar.Summary = resultError, "Error evaluating whenExpression: "+err.Error()
		return ar
	}
	ar.MatchedWhenExpression = met
	if !met {
		ar.Result, ar.Summary = resultNotApplicable, "Request did not match whenExpression"
		return ar
	}
	if a.ActionType != railyard.GenericWebhookActionRefresh {
		ar.Result, ar.Summary = resultError, fmt.Sprintf("Unsupported action %q", a.ActionType)
		return ar
	}
	list, err := whs.get(ctx)
	if err != nil {
		d.log.ErrorContext(ctx, "listing Warehouses failed", "error", err)
		ar.Result, ar.Summary = resultError, "Error listing Warehouses"
		return ar
	}
	targets, err := selectTargets(a.TargetSelectionCriteria, list, env)
	if err != nil {
		ar.Result, ar.Summary = resultError, "Error evaluating targetSelectionCriteria: "+err.Error()
		return ar
	}
	ar.SelectedTargets, ar.Result, ar.Summary = refreshEach(ctx, d, targets)
	return ar
}

// refreshEach refreshes targets one by one, so that each can report its own
// success, as Kargo's refreshObjects.
func refreshEach(ctx context.Context, d delivery, targets []types.NamespacedName) ([]selectedTarget, string, string) {
	out := make([]selectedTarget, len(targets))
	ok := 0
	for i, t := range targets {
		out[i] = selectedTarget{Namespace: t.Namespace, Name: t.Name}
		if err := d.refresh(ctx, []types.NamespacedName{t}); err != nil {
			d.log.ErrorContext(ctx, "refreshing Warehouse failed", "warehouse", t, "error", err)
			continue
		}
		out[i].Success = true
		ok++
	}
	result := resultPartialSuccess
	switch ok {
	case len(targets):
		result = resultSuccess
	case 0:
		result = resultFailure
	}
	return out, result, fmt.Sprintf("Refreshed %d of %d selected resources", ok, len(targets))
}

func targetNames(ts []selectedTarget) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Namespace + "/" + t.Name
	}
	return out
}
