package stage

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd"
	"github.com/railyard-dev/railyard/internal/controller/index"
)

// builderIndexer registers the manager's field indexes on a fake client.
type builderIndexer struct{ b *fake.ClientBuilder }

func (i builderIndexer) IndexField(_ context.Context, obj client.Object, field string, extract client.IndexerFunc) error {
	i.b.WithIndex(obj, field, extract)
	return nil
}

// fakeReconciler is a Stage reconciler on a fake client holding objs, with
// the field indexes, a fake clock at now and a recorder of Events.
func fakeReconciler(t *testing.T, now time.Time, funcs interceptor.Funcs, objs ...client.Object) (*Reconciler, *events.FakeRecorder) {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := railyard.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := argocd.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	b := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).
		WithStatusSubresource(&railyard.Stage{}, &railyard.Freight{}, &railyard.Promotion{}).
		WithInterceptorFuncs(funcs)
	if err := index.Register(context.Background(), builderIndexer{b}); err != nil {
		t.Fatal(err)
	}
	c := b.Build()
	rec := events.NewFakeRecorder(10)
	return &Reconciler{Client: c, APIReader: noPolicyReader{c}, Recorder: rec, Clock: clocktesting.NewFakePassiveClock(now)}, rec
}

// noPolicyReader is the reconciler's APIReader: the policy must come from
// the cache (Client), which the ProjectConfig watch keeps current; at 3,000
// Stages, reading it past the cache was an API call per Stage per resync.
type noPolicyReader struct{ client.Reader }

func (r noPolicyReader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	switch obj.(type) {
	case *railyard.ProjectConfig:
		return errors.New("the ProjectConfig was read past the cache")
	case *railyard.PromotionTask, *railyard.ClusterPromotionTask:
		// The Promotion controller's snapshot reads tasks from the cache;
		// auto-promotion's copy must read the same.
		return errors.New("a task was read past the cache")
	}
	return r.Reader.Get(ctx, key, obj, opts...)
}

func (r noPolicyReader) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	if _, ok := list.(*railyard.ProjectConfigList); ok {
		return errors.New("ProjectConfigs were listed past the cache")
	}
	return r.Reader.List(ctx, list, opts...)
}

var appOrigin = railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "app"}

// newFreight is Freight of appOrigin discovered d after t0.
func newFreight(name string, d time.Duration) *railyard.Freight {
	at := metav1.NewTime(t0.Add(d))
	return &railyard.Freight{
		ObjectMeta:   metav1.ObjectMeta{Namespace: "demo", Name: name},
		Origin:       appOrigin,
		DiscoveredAt: &at,
	}
}

func projectConfig(enabled bool) *railyard.ProjectConfig {
	return &railyard.ProjectConfig{
		ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "demo"},
		Spec: railyard.ProjectConfigSpec{PromotionPolicies: []railyard.PromotionPolicy{
			{Stage: "test", AutoPromotionEnabled: enabled},
		}},
	}
}

func autoStage(sources railyard.FreightSources) *railyard.Stage {
	return &railyard.Stage{
		ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "test"},
		Spec: railyard.StageSpec{
			RequestedFreight:  []railyard.FreightRequest{{Origin: appOrigin, Sources: sources}},
			PromotionTemplate: &railyard.PromotionTemplate{Spec: railyard.PromotionTemplateSpec{Steps: []railyard.PromotionStep{{Uses: "git-clone"}}}},
		},
	}
}

func TestAutoPromote(t *testing.T) {
	now := t0.Add(time.Hour)
	direct := railyard.FreightSources{Direct: true}
	// verifiedUpstream is f verified in Stage "up", where it arrived
	// `arrived` before now and was verified `verified` before now.
	verifiedUpstream := func(f *railyard.Freight, arrived, verified time.Duration) *railyard.Freight {
		since, at := metav1.NewTime(now.Add(-arrived)), metav1.NewTime(now.Add(-verified))
		f.Status.CurrentlyIn = map[string]railyard.CurrentStage{"up": {Since: &since}}
		f.Status.VerifiedIn = map[string]railyard.VerifiedStage{"up": {VerifiedAt: &at}}
		return f
	}
	rejected := newFreight("new", time.Minute)
	rejected.Annotations = map[string]string{railyard.AnnotationRejected: "does not fit"}
	invalid := apierrors.NewInvalid(schema.GroupKind{Group: railyard.GroupVersion.Group, Kind: "Promotion"}, "x", field.ErrorList{field.Required(field.NewPath("spec"), "")})

	tests := map[string]struct {
		stage   *railyard.Stage
		objs    []client.Object
		create  error // returned by every Create
		wantErr bool
		// wantFreight is the Freight of the Promotion created, "" for none.
		wantFreight  string
		wantEnabled  bool
		wantRequeue  time.Duration
		wantStalled  string // in sc.autoPromotionError
		wantEventSub string
	}{
		"the newest available Freight": {
			stage: autoStage(direct), objs: []client.Object{projectConfig(true), newFreight("old", 0), newFreight("new", time.Minute)},
			wantFreight: "new", wantEnabled: true, wantEventSub: "PromotionCreated auto-promotion of Freight new",
		},
		"disabled by the ProjectConfig": {
			stage: autoStage(direct), objs: []client.Object{projectConfig(false), newFreight("new", time.Minute)},
		},
		"no ProjectConfig": {
			stage: autoStage(direct), objs: []client.Object{newFreight("new", time.Minute)},
		},
		"rejected Freight is never promoted": {
			stage: autoStage(direct), objs: []client.Object{projectConfig(true), newFreight("old", 0), rejected},
			wantFreight: "old", wantEnabled: true, wantEventSub: "PromotionCreated",
		},
		"no promotion steps": {
			stage: func() *railyard.Stage { s := autoStage(direct); s.Spec.PromotionTemplate = nil; return s }(),
			objs:  []client.Object{projectConfig(true), newFreight("new", time.Minute)}, wantEnabled: true,
		},
		"already current": {
			stage: func() *railyard.Stage {
				s := autoStage(direct)
				s.Status.FreightHistory = []railyard.FreightCollection{{Freight: map[string]railyard.FreightReference{appOrigin.String(): {Name: "new"}}}}
				return s
			}(),
			objs: []client.Object{projectConfig(true), newFreight("new", time.Minute)}, wantEnabled: true,
		},
		"held after a rollback": {
			stage: func() *railyard.Stage {
				s := autoStage(direct)
				s.Status.AutoPromotionHolds = map[string]railyard.AutoPromotionHold{appOrigin.String(): {FreightName: "old"}}
				return s
			}(),
			objs: []client.Object{projectConfig(true), newFreight("new", time.Minute)}, wantEnabled: true,
		},
		"a Freight still soaking upstream: the soaked one now, a look again when the other is done": {
			stage: autoStage(railyard.FreightSources{Stages: []string{"up"}, RequiredSoakTime: &metav1.Duration{Duration: time.Hour}}),
			objs: []client.Object{projectConfig(true),
				verifiedUpstream(newFreight("old", 0), 3*time.Hour, 3*time.Hour),
				verifiedUpstream(newFreight("new", time.Minute), 30*time.Minute, 20*time.Minute)},
			wantFreight: "old", wantEnabled: true, wantRequeue: 40 * time.Minute, wantEventSub: "PromotionCreated",
		},
		"MatchUpstream takes what the upstream Stage runs": {
			stage: autoStage(railyard.FreightSources{Stages: []string{"up"},
				AutoPromotionOptions: &railyard.AutoPromotionOptions{SelectionPolicy: railyard.AutoPromotionSelectionPolicyMatchUpstream}}),
			objs: []client.Object{projectConfig(true),
				&railyard.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "up"}, Status: railyard.StageStatus{
					FreightHistory: []railyard.FreightCollection{{Freight: map[string]railyard.FreightReference{appOrigin.String(): {Name: "old"}}}}}},
				verifiedUpstream(newFreight("old", 0), 2*time.Hour, 2*time.Hour),
				verifiedUpstream(newFreight("new", time.Minute), time.Hour, time.Hour)},
			wantFreight: "old", wantEnabled: true, wantEventSub: "PromotionCreated",
		},
		"a refused Promotion stalls the Stage and is not retried": {
			stage: autoStage(direct), objs: []client.Object{projectConfig(true), newFreight("new", time.Minute)},
			create: invalid, wantEnabled: true,
			wantStalled: "auto-promotion of Freight new could not create a Promotion", wantEventSub: "AutoPromotionFailed",
		},
		"a Create failing for a while is retried": {
			stage: autoStage(direct), objs: []client.Object{projectConfig(true), newFreight("new", time.Minute)},
			create: apierrors.NewServerTimeout(schema.GroupResource{Resource: "promotions"}, "create", 1), wantErr: true, wantEnabled: true,
			wantStalled: "could not create a Promotion", wantEventSub: "AutoPromotionFailed",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			funcs := interceptor.Funcs{}
			if tt.create != nil {
				funcs.Create = func(context.Context, client.WithWatch, client.Object, ...client.CreateOption) error { return tt.create }
			}
			r, rec := fakeReconciler(t, now, funcs, append(tt.objs, tt.stage)...)
			ctx := context.Background()
			sc := &scope{stage: tt.stage.DeepCopy(), now: now}
			err := r.autoPromote(ctx, sc)
			if (err != nil) != tt.wantErr {
				t.Fatalf("autoPromote error = %v, want error %v", err, tt.wantErr)
			}
			var list railyard.PromotionList
			must(t, r.Client.List(ctx, &list))
			got := ""
			if len(list.Items) > 1 {
				t.Fatalf("%d Promotions created, want at most one", len(list.Items))
			}
			if len(list.Items) == 1 {
				p := list.Items[0]
				got = p.Spec.Freight
				if p.Spec.Stage != "test" || p.Annotations[railyard.AnnotationCreateActor] != AutoPromotionActor ||
					p.Labels[railyard.LabelStage] != "test" || !strings.HasPrefix(p.Name, "test.") {
					t.Errorf("Promotion %s: stage %q, annotations %v, labels %v", p.Name, p.Spec.Stage, p.Annotations, p.Labels)
				}
				if len(sc.promotions) != 1 || sc.promotions[0].Name != p.Name {
					t.Errorf("the scope does not hold the new Promotion (%d Promotions), so the queue would miss it", len(sc.promotions))
				}
			}
			if got != tt.wantFreight {
				t.Errorf("promoted %q, want %q", got, tt.wantFreight)
			}
			if sc.stage.Status.AutoPromotionEnabled != tt.wantEnabled {
				t.Errorf("autoPromotionEnabled = %v, want %v", sc.stage.Status.AutoPromotionEnabled, tt.wantEnabled)
			}
			if sc.requeue != tt.wantRequeue {
				t.Errorf("requeue = %v, want %v", sc.requeue, tt.wantRequeue)
			}
			if !strings.Contains(sc.autoPromotionError, tt.wantStalled) || (tt.wantStalled == "") != (sc.autoPromotionError == "") {
				t.Errorf("autoPromotionError = %q, want %q", sc.autoPromotionError, tt.wantStalled)
			}
			select {
			case e := <-rec.Events:
				if tt.wantEventSub == "" || !strings.Contains(e, tt.wantEventSub) {
					t.Errorf("Event %q, want %q", e, tt.wantEventSub)
				}
			default:
				if tt.wantEventSub != "" {
					t.Errorf("no Event, want %q", tt.wantEventSub)
				}
			}
		})
	}
}

// TestAutoPromoteFailureEventOnce checks that a Stage failing to create
// its Promotion on every reconcile tells people once, not every time.
func TestAutoPromoteFailureEventOnce(t *testing.T) {
	now := t0.Add(time.Hour)
	refused := apierrors.NewForbidden(schema.GroupResource{Resource: "promotions"}, "", errors.New("quota"))
	st := autoStage(railyard.FreightSources{Direct: true})
	r, rec := fakeReconciler(t, now, interceptor.Funcs{
		Create: func(context.Context, client.WithWatch, client.Object, ...client.CreateOption) error { return refused },
	}, projectConfig(true), newFreight("new", time.Minute), st)
	for i := range 2 {
		sc := &scope{stage: st, now: now}
		must(t, r.autoPromote(context.Background(), sc))
		setConditions(sc)
		if i == 0 && len(rec.Events) != 1 {
			t.Fatalf("%d Events after the first failure, want 1", len(rec.Events))
		}
	}
	if len(rec.Events) != 1 {
		t.Errorf("%d Events after the same failure twice, want 1", len(rec.Events))
	}
}

// The reconcile that creates a Promotion returns only once the cache holds
// it: the Stage's next reconcile reads Promotions from the cache, and one
// that ran before would promote the same Freight again.
func TestAutoPromoteWaitsForTheCache(t *testing.T) {
	now := t0.Add(time.Hour)
	lagging := 0
	funcs := interceptor.Funcs{Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
		if _, ok := obj.(*railyard.Promotion); ok && lagging < 3 {
			lagging++
			return apierrors.NewNotFound(schema.GroupResource{Group: railyard.GroupVersion.Group, Resource: "promotions"}, key.Name)
		}
		return c.Get(ctx, key, obj, opts...)
	}}
	st := autoStage(railyard.FreightSources{Direct: true})
	r, _ := fakeReconciler(t, now, funcs, projectConfig(true), newFreight("new", time.Minute), st)
	sc := &scope{stage: st.DeepCopy(), now: now}
	if err := r.autoPromote(context.Background(), sc); err != nil {
		t.Fatal(err)
	}
	if len(sc.promotions) != 1 {
		t.Fatalf("%d Promotions created, want 1", len(sc.promotions))
	}
	if lagging < 3 {
		t.Errorf("autoPromote returned after %d reads of the new Promotion, before the cache held it", lagging)
	}
}
