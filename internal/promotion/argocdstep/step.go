// Package argocdstep is the argocd-update promotion step: it points Argo CD
// Applications at what a Promotion produced, requests one sync per
// Application and Promotion, waits for it, and leaves health criteria that
// tie the Stage's health to those Applications.
package argocdstep

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// +kubebuilder:rbac:groups=argoproj.io,resources=applications,verbs=get;list;watch;patch

const (
	// Name is what `uses:` refers to.
	Name = "argocd-update"
	// DefaultNamespace is where Applications are looked up by default.
	DefaultNamespace = "argocd"
	// DefaultPollInterval is how soon a waiting step looks again if no
	// change of the Applications it waits on (Result.WaitingOn, watched by
	// the Promotion reconciler) ran it sooner: a fallback for a missed
	// event, not how changes are noticed.
	DefaultPollInterval = 30 * time.Second
	// DefaultTimeout bounds how long the step waits for Argo CD, as in Kargo.
	DefaultTimeout = 5 * time.Minute
	// defaultErrorThreshold tolerates a few API hiccups while waiting.
	defaultErrorThreshold = 5
)

// ErrNoClient means the engine gave the step no Kubernetes client.
var ErrNoClient = errors.New("argocd-update needs a Kubernetes client")

// Step is the argocd-update step. Applications are patched as unstructured
// objects, so fields Railyard does not model are kept. An Application whose
// sources the step does not rewrite (it may still sync them to a desired
// revision) is read as the client's typed copy (the manager's cache), one
// whose sources it rewrites is read whole from the API server. Writes
// carry the resourceVersion, so a stale read can never cause a second sync
// request: it fails with a conflict and the step reads the Application
// again from the API server.
type Step struct {
	// Namespace is the default Application namespace; DefaultNamespace if empty.
	Namespace string
	// PollInterval is the RetryAfter while waiting; DefaultPollInterval if zero.
	PollInterval time.Duration
	// Remote, when set, is the cluster Applications live in; nil means the
	// manager's own (the engine's client).
	Remote *argocd.Remote
}

var (
	_ promotion.Step     = Step{}
	_ promotion.Defaults = Step{}
)

// Name implements promotion.Step.
func (Step) Name() string { return Name }

// DefaultTimeout implements promotion.Defaults.
func (Step) DefaultTimeout() time.Duration { return DefaultTimeout }

// DefaultErrorThreshold implements promotion.Defaults.
func (Step) DefaultErrorThreshold() uint32 { return defaultErrorThreshold }

// Run implements promotion.Step.
func (s Step) Run(ctx context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	cfg, err := decodeConfig(sc.Config)
	if err != nil {
		return fail(err)
	}
	if sc, err = onArgoCDCluster(s.Remote, sc); err != nil {
		return waitForArgoCD(err, s.pollInterval())
	}
	if sc.Client == nil {
		return fail(promotion.Terminal(ErrNoClient))
	}
	// Resolve, authorize and plan every Application before writing any, so
	// one bad Application does not leave the others half updated.
	targets, err := s.resolve(ctx, sc, cfg)
	if err != nil {
		return fail(err)
	}
	info := promotionInfo{project: sc.Project, stage: sc.Stage, promotion: sc.Promotion}
	var waiting, failures []string
	var refs []promotion.ObjectRef
	for _, t := range targets {
		o, err := syncWithRetry(ctx, sc.Client, t, info)
		if err != nil {
			return fail(err)
		}
		switch o.status {
		case railyard.StepStatusFailed:
			failures = append(failures, fmt.Sprintf("Application %s: %s", t.key, o.message))
		case railyard.StepStatusRunning:
			waiting = append(waiting, fmt.Sprintf("Application %s: %s", t.key, o.message))
			refs = append(refs, appRef(t.key))
		}
	}
	if len(failures) > 0 {
		return fail(promotion.Terminalf("%s", strings.Join(failures, "; ")))
	}
	if len(waiting) > 0 {
		return promotion.Result{Status: railyard.StepStatusRunning, Message: strings.Join(waiting, "; "),
			RetryAfter: s.pollInterval(), WaitingOn: refs}, nil
	}
	return succeeded(targets)
}

// appRef names an Application for Result.WaitingOn.
func appRef(key types.NamespacedName) promotion.ObjectRef {
	return promotion.ObjectRef{GroupKind: argocd.ApplicationKind.GroupKind(), NamespacedName: key}
}

func (s Step) pollInterval() time.Duration {
	if s.PollInterval > 0 {
		return s.PollInterval
	}
	return DefaultPollInterval
}

// fail reports err: Failed when no retry can fix it, else Errored, which
// the engine retries up to the error threshold.
func fail(err error) (promotion.Result, error) {
	status := railyard.StepStatusErrored
	if promotion.IsTerminal(err) {
		status = railyard.StepStatusFailed
	}
	return promotion.Result{Status: status, Message: err.Error()}, err
}

func succeeded(targets []*target) (promotion.Result, error) {
	criteria := argocd.Criteria{Apps: make([]argocd.AppCriteria, 0, len(targets))}
	apps := make([]any, 0, len(targets))
	for _, t := range targets {
		criteria.Apps = append(criteria.Apps, argocd.AppCriteria{
			Name: t.key.Name, Namespace: t.key.Namespace, DesiredRevisions: t.plan.desired,
		})
		apps = append(apps, map[string]any{"name": t.key.Name, "namespace": t.key.Namespace})
	}
	hc, err := criteria.HealthCheck()
	if err != nil {
		return fail(err)
	}
	return promotion.Result{
		Status:      railyard.StepStatusSucceeded,
		Message:     fmt.Sprintf("%d Application(s) synced", len(targets)),
		Output:      map[string]any{"apps": apps},
		HealthCheck: hc,
	}, nil
}

// syncWithRetry runs syncApp, reading the Application again when our write
// lost a race (Argo CD writes status often).
func syncWithRetry(ctx context.Context, c client.Client, t *target, info promotionInfo) (outcome, error) {
	var o outcome
	first := true
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if !first {
			fresh, err := getApp(ctx, c, t.key, false)
			if err != nil {
				return err
			}
			if err := t.prepare(fresh, info); err != nil {
				return err
			}
		}
		first = false
		var err error
		o, err = syncApp(ctx, c, t, info)
		return err
	})
	return o, err
}

// resolve finds the Applications each entry names or selects, checks that
// they authorize this Stage, and plans their source updates.
func (s Step) resolve(ctx context.Context, sc *promotion.StepContext, cfg Config) ([]*target, error) {
	info := promotionInfo{project: sc.Project, stage: sc.Stage, promotion: sc.Promotion}
	var targets []*target
	seen := map[types.NamespacedName]int{}
	for i, ac := range cfg.Apps {
		ns := ac.Namespace
		if ns == "" {
			ns = s.namespace()
		}
		objs, err := s.find(ctx, sc.Client, ns, ac)
		if err != nil {
			return nil, fmt.Errorf("apps[%d]: %w", i, err)
		}
		for _, obj := range objs {
			key := client.ObjectKeyFromObject(obj)
			if j, dup := seen[key]; dup {
				return nil, promotion.Terminalf("Application %s is named by both apps[%d] and apps[%d]", key, j, i)
			}
			seen[key] = i
			t := &target{key: key, updates: ac.Sources}
			if err := t.prepare(obj, info); err != nil {
				return nil, fmt.Errorf("apps[%d]: %w", i, err)
			}
			targets = append(targets, t)
		}
	}
	return targets, nil
}

// prepare authorizes the Application and plans its updates.
func (t *target) prepare(obj *unstructured.Unstructured, info promotionInfo) error {
	if !argocd.IsAuthorized(obj, info.project, info.stage) {
		return promotion.Terminalf("Application %s does not authorize Stage %s:%s to update it; %s",
			t.key, info.project, info.stage, argocd.AuthorizationHint(info.project, info.stage))
	}
	plan, err := planSources(obj, t.updates)
	if err != nil {
		return promotion.Terminalf("Application %s: %w", t.key, err)
	}
	t.obj, t.plan = obj, plan
	return nil
}

func (s Step) namespace() string {
	if s.Namespace != "" {
		return s.Namespace
	}
	return DefaultNamespace
}

// find returns the Application named by ac, or those its selector matches.
// Finding none is a terminal failure: the configuration points nowhere.
func (s Step) find(ctx context.Context, c client.Client, ns string, ac AppConfig) ([]*unstructured.Unstructured, error) {
	if ac.Name != "" {
		obj, err := getApp(ctx, c, types.NamespacedName{Namespace: ns, Name: ac.Name}, !slices.ContainsFunc(ac.Sources, SourceUpdate.rewrites))
		if apierrors.IsNotFound(err) {
			return nil, promotion.Terminalf("Argo CD Application %s/%s not found", ns, ac.Name)
		}
		if err != nil {
			return nil, err
		}
		return []*unstructured.Unstructured{obj}, nil
	}
	selector, err := metav1.LabelSelectorAsSelector(ac.Selector)
	if err != nil {
		return nil, promotion.Terminalf("selector: %w", err)
	}
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(argocd.ApplicationListKind)
	if err := c.List(ctx, list, client.InNamespace(ns), client.MatchingLabelsSelector{Selector: selector}); err != nil {
		return nil, fmt.Errorf("listing Argo CD Applications in %s: %w", ns, err)
	}
	if len(list.Items) == 0 {
		return nil, promotion.Terminalf("no Argo CD Application in namespace %s matches selector %s", ns, selector)
	}
	out := make([]*unstructured.Unstructured, len(list.Items))
	for i := range list.Items {
		out[i] = &list.Items[i]
	}
	return out, nil
}

// getApp reads an Application. typedOK says the caller needs no field
// beyond what argocd.Application models: the typed copy is then read first,
// which the manager's client serves from its cache (100 GETs fewer per 100
// promotions). The API server is asked when the typed read cannot serve it:
// a cache that has not seen a new Application yet, or a client that does
// not know the kind.
func getApp(ctx context.Context, c client.Client, key types.NamespacedName, typedOK bool) (*unstructured.Unstructured, error) {
	if typedOK {
		if obj, err := getTyped(ctx, c, key); obj != nil || err != nil {
			return obj, err
		}
	}
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(argocd.ApplicationKind)
	if err := c.Get(ctx, key, obj); err != nil {
		return nil, fmt.Errorf("getting Argo CD Application %s: %w", key, err)
	}
	return obj, nil
}

// getTyped reads the typed Application and returns it as an unstructured
// object, or nil and no error when the API server should be asked instead.
func getTyped(ctx context.Context, c client.Client, key types.NamespacedName) (*unstructured.Unstructured, error) {
	app := &argocd.Application{}
	err := c.Get(ctx, key, app)
	switch {
	case apierrors.IsNotFound(err), meta.IsNoMatchError(err), runtime.IsNotRegisteredError(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("getting Argo CD Application %s: %w", key, err)
	}
	raw, err := runtime.DefaultUnstructuredConverter.ToUnstructured(app)
	if err != nil {
		return nil, fmt.Errorf("reading Argo CD Application %s: %w", key, err)
	}
	obj := &unstructured.Unstructured{Object: raw}
	obj.SetGroupVersionKind(argocd.ApplicationKind)
	return obj, nil
}
