package promotion_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/demo"
	"github.com/railyard-dev/railyard/internal/freight"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// argoNS is where the demo's Argo CD stand-in looks for Applications.
const argoNS = "argocd"

// A Promotion waiting in argocd-update or argocd-wait on an Application
// that Argo CD syncs after 1.5s finishes once the sync lands. The steps'
// fallback poll is an hour and the test gives up after a minute, so only
// the Application watch can explain the Promotion finishing.
func TestArgoCDStepsWokenByApplicationChange(t *testing.T) {
	argo := &demo.ArgoStandIn{Client: env.Client, Interval: 50 * time.Millisecond, Delay: 1500 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); argo.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	ensureNamespace(t, argoNS)

	tests := []struct {
		name       string
		steps      string // the Stage's steps; APP is the Application's name
		authorized bool   // the Application names the Stage
		// syncLater, if set, reports the Application Synced after 1.5s,
		// as Argo CD's own sync would (argocd-wait requests none).
		syncLater bool
	}{
		{name: "argocd-update", steps: `
      - uses: argocd-update
        config:
          apps:
          - name: APP
            namespace: argocd`, authorized: true},
		// No authorized-stage annotation and no mark of argocd-wait: only
		// what the step reported waiting on leads to the Promotion.
		{name: "argocd-wait", syncLater: true, steps: `
      - uses: argocd-wait
        config:
          apps:
          - name: APP
            namespace: argocd
            waitFor: [sync]`},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := fmt.Sprintf("wake-%d-%d", i, time.Now().UnixNano())
			ensureNamespace(t, ns)
			app := ns
			authorized := "other:stage"
			if tt.authorized {
				authorized = ns + ":test"
			}
			apply(t, application(app, authorized))
			apply(t, stageManifest(ns, strings.ReplaceAll(tt.steps, "APP", app)))
			f := createFreight(t, ns)
			promo := "p1"
			publishCurrent(t, ns, "test", promo)
			create(t, &railyard.Promotion{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: promo},
				Spec:       railyard.PromotionSpec{Stage: "test", Freight: f},
			})
			if tt.syncLater {
				go func() {
					time.Sleep(1500 * time.Millisecond)
					if _, err := env.Kubectl(context.Background(), nil, "patch", "applications.argoproj.io", app, "-n", argoNS,
						"--type=merge", "-p", `{"status":{"sync":{"status":"Synced"}}}`); err != nil {
						t.Errorf("reporting the Application Synced: %v", err)
					}
				}()
			}
			testenv.Eventually(t, time.Minute, func() error {
				p := &railyard.Promotion{}
				if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: promo}, p); err != nil {
					return err
				}
				if p.Status.Phase.IsTerminal() && p.Status.Phase != railyard.PromotionPhaseSucceeded {
					t.Fatalf("Promotion ended %s: %s", p.Status.Phase, p.Status.Message)
				}
				if p.Status.Phase != railyard.PromotionPhaseSucceeded {
					return fmt.Errorf("Promotion is %s: %s", p.Status.Phase, p.Status.Message)
				}
				return nil
			})
		})
	}
}

func ensureNamespace(t *testing.T, name string) {
	t.Helper()
	err := env.Client.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := env.Client.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

func apply(t *testing.T, manifests string) {
	t.Helper()
	if _, err := env.Kubectl(context.Background(), strings.NewReader(manifests), "apply", "--server-side", "-f", "-"); err != nil {
		t.Fatal(err)
	}
}

func application(name, authorized string) string {
	return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: %s
  namespace: argocd
  annotations:
    railyard.dev/authorized-stage: %s
spec:
  project: default
  destination:
    server: https://kubernetes.default.svc
    namespace: default
  source:
    repoURL: https://git.example.com/gitops.git
    targetRevision: main
    path: .
`, name, authorized)
}

func stageManifest(ns, steps string) string {
	return fmt.Sprintf(`apiVersion: railyard.dev/v1alpha1
kind: Stage
metadata:
  name: test
  namespace: %s
spec:
  requestedFreight:
  - origin:
      kind: Warehouse
      name: w
    sources:
      direct: true
  promotionTemplate:
    spec:
      steps:%s
`, ns, steps)
}

// createFreight makes Freight of Warehouse w, which the Stage takes directly.
func createFreight(t *testing.T, ns string) string {
	t.Helper()
	f := &railyard.Freight{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns},
		Origin:     railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "w"},
		Commits:    []railyard.GitCommit{{RepoURL: "https://git.example.com/gitops.git", ID: strings.Repeat("a", 40)}},
	}
	f.Name = freight.IDOf(f)
	create(t, f)
	return f.Name
}

// publishCurrent does the Stage reconciler's part: it names the Promotion
// whose turn it is.
func publishCurrent(t *testing.T, ns, stage, promo string) {
	t.Helper()
	s := &railyard.Stage{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: stage}, s); err != nil {
		t.Fatal(err)
	}
	base := s.DeepCopy()
	s.Status.CurrentPromotion = &railyard.PromotionReference{Name: promo}
	if err := env.Client.Status().Patch(context.Background(), s, client.MergeFrom(base)); err != nil {
		t.Fatal(err)
	}
}
