package actions

import (
	"context"
	"errors"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
	railyardscheme "github.com/railyard-dev/railyard/internal/scheme"
)

// handMade is Freight with image app:tag, named by its content as
// 'create freight' names it.
func handMade(tag string) *railyard.Freight {
	f := &railyard.Freight{Origin: origin, Images: []railyard.Image{{RepoURL: "ghcr.io/example/app", Tag: tag, Digest: "sha256:" + tag}}}
	f.Namespace, f.Name = ns, freight.IDOf(f)
	return f
}

func TestCreateFreight(t *testing.T) {
	scheme, err := railyardscheme.New()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	gr := schema.GroupResource{Group: "railyard.dev", Resource: "freights"}
	existing := handMade("v1")
	existing.Alias = "calm-fox"
	// The same content applied by hand under another name.
	byHand := handMade("v2")
	byHand.Name = "applied-by-hand"
	for _, tc := range []struct {
		name      string
		objs      []client.Object
		f         *railyard.Freight
		alias     string
		indexed   bool
		funcs     interceptor.Funcs
		wantName  string
		wantAlias string
		created   bool
		wantErr   func(error) bool
	}{
		{name: "new, with a generated alias", f: handMade("v3"), created: true},
		{name: "new, with the alias asked for", f: handMade("v3"), alias: "dev-build", created: true, wantAlias: "dev-build"},
		{name: "new, found through the content index", f: handMade("v3"), indexed: true, created: true},
		{name: "the same name exists", objs: []client.Object{existing.DeepCopy()}, f: handMade("v1"), wantName: existing.Name, wantAlias: "calm-fox"},
		{name: "the same content under another name", objs: []client.Object{byHand.DeepCopy()}, f: handMade("v2"), wantName: "applied-by-hand"},
		{name: "the same content, found through the index", objs: []client.Object{byHand.DeepCopy()}, f: handMade("v2"), indexed: true, wantName: "applied-by-hand"},
		{
			name: "an alias that is taken", objs: []client.Object{existing.DeepCopy()}, f: handMade("v3"), alias: "calm-fox",
			wantErr: func(err error) bool {
				var taken *freight.AliasTakenError
				return errors.As(err, &taken) && taken.Freight == existing.Name
			},
		},
		{
			name: "creating is forbidden", f: handMade("v3"),
			funcs: interceptor.Funcs{Create: func(context.Context, client.WithWatch, client.Object, ...client.CreateOption) error {
				return apierrors.NewForbidden(gr, "", errors.New("no"))
			}},
			wantErr: func(err error) bool {
				var api *APIError
				return errors.As(err, &api) && api.Verb == "create" && api.Resource == "freights" && apierrors.IsForbidden(err)
			},
		},
		{
			name: "reading is forbidden", f: handMade("v3"),
			funcs: interceptor.Funcs{Get: func(context.Context, client.WithWatch, client.ObjectKey, client.Object, ...client.GetOption) error {
				return apierrors.NewForbidden(gr, "", errors.New("no"))
			}},
			wantErr: func(err error) bool {
				var api *APIError
				return errors.As(err, &api) && api.Verb == "get"
			},
		},
		{
			name: "someone else created it first", f: handMade("v3"),
			funcs: interceptor.Funcs{Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
				if err := c.Create(ctx, obj, opts...); err != nil {
					return err
				}
				return apierrors.NewAlreadyExists(gr, obj.GetName())
			}},
			wantName: handMade("v3").Name,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := fake.NewClientBuilder().WithScheme(scheme).WithObjects(tc.objs...).WithInterceptorFuncs(tc.funcs)
			if tc.indexed {
				b = b.WithIndex(&railyard.Freight{}, freight.ContentIndex, func(o client.Object) []string {
					return []string{freight.IDOf(o.(*railyard.Freight))}
				})
			}
			c := b.Build()
			got, created, err := CreateFreight(ctx, c, c, tc.f, tc.alias, tc.indexed)
			if tc.wantErr != nil {
				if err == nil || !tc.wantErr(err) {
					t.Fatalf("error %v (%T) is not the one expected", err, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if created != tc.created {
				t.Errorf("created = %v, want %v", created, tc.created)
			}
			wantName := tc.wantName
			if wantName == "" {
				wantName = tc.f.Name
			}
			if got.Name != wantName {
				t.Errorf("returned %s, want %s", got.Name, wantName)
			}
			if tc.wantAlias != "" && got.Alias != tc.wantAlias {
				t.Errorf("alias %q, want %q", got.Alias, tc.wantAlias)
			}
			if created {
				var stored railyard.Freight
				if err := c.Get(ctx, client.ObjectKeyFromObject(got), &stored); err != nil {
					t.Fatal(err)
				}
				if stored.Alias == "" || stored.Labels[railyard.LabelAlias] != stored.Alias {
					t.Errorf("stored alias %q, label %q: want both set and equal", stored.Alias, stored.Labels[railyard.LabelAlias])
				}
			}
		})
	}
}

func TestAPIError(t *testing.T) {
	inner := apierrors.NewForbidden(schema.GroupResource{Group: "railyard.dev", Resource: "freights"}, "x", errors.New("no"))
	err := error(&APIError{Verb: "create", Resource: "freights", Name: "x", Err: inner})
	if !apierrors.IsForbidden(err) {
		t.Error("the API server's status is lost")
	}
	if got := err.Error(); !strings.HasPrefix(got, "create freights/x: ") {
		t.Errorf("message %q does not start with what was asked", got)
	}
}

func TestNewPromotion(t *testing.T) {
	st := stage("staging", "test")
	sharded := st
	sharded.Labels = map[string]string{railyard.LabelShard: "eu"}
	f := fr("0123456789abcdef", "calm-fox", t0)
	for _, tc := range []struct {
		name      string
		stage     railyard.Stage
		wantShard string
	}{
		{"no shard", st, ""},
		{"the Stage's shard", sharded, "eu"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := NewPromotion(&tc.stage, &f, t0)
			if p.Namespace != ns || p.Spec.Stage != "staging" || p.Spec.Freight != f.Name {
				t.Errorf("promotion %s/%s of %s to %s", p.Namespace, p.Name, p.Spec.Freight, p.Spec.Stage)
			}
			if !strings.HasPrefix(p.Name, "staging.") || !strings.HasSuffix(p.Name, ".0123456") {
				t.Errorf("name %q, want staging.<ulid>.0123456", p.Name)
			}
			if p.Labels[railyard.LabelStage] != "staging" {
				t.Errorf("labels %v lack the Stage", p.Labels)
			}
			if p.Labels[railyard.LabelShard] != tc.wantShard {
				t.Errorf("shard label %q, want %q", p.Labels[railyard.LabelShard], tc.wantShard)
			}
			if again := NewPromotion(&tc.stage, &f, t0); again.Name == p.Name {
				t.Errorf("two promotions at the same instant share the name %s", p.Name)
			}
		})
	}
}

func TestWarehouseProgress(t *testing.T) {
	cond := func(typ, msg string) metav1.Condition {
		return metav1.Condition{Type: typ, Status: metav1.ConditionTrue, Message: msg}
	}
	for _, tc := range []struct {
		name   string
		status railyard.WarehouseStatus
		want   string
	}{
		{"nothing yet", railyard.WarehouseStatus{}, ""},
		{"a subscription's error first", railyard.WarehouseStatus{
			Subscriptions: []railyard.SubscriptionStatus{{Kind: "image", RepoURL: "ghcr.io/example/app"}, {Kind: "git", RepoURL: "https://git.example.com/app", LastError: "authentication required"}},
			Conditions:    []metav1.Condition{cond(railyard.ConditionReady, "discovered 3 artifacts")},
		}, "git https://git.example.com/app: authentication required"},
		{"reconciling before ready", railyard.WarehouseStatus{
			Conditions: []metav1.Condition{cond(railyard.ConditionReady, "discovered 3 artifacts"), cond(railyard.ConditionReconciling, "discovering")},
		}, "Reconciling: discovering"},
		{"ready", railyard.WarehouseStatus{Conditions: []metav1.Condition{cond(railyard.ConditionReady, "discovered 3 artifacts")}}, "Ready: discovered 3 artifacts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wh := &railyard.Warehouse{Status: tc.status}
			if got := WarehouseProgress(wh); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
