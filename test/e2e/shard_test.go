package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd"
	"github.com/railyard-dev/railyard/internal/argocd/argocdtest"
	"github.com/railyard-dev/railyard/internal/manager"
	"github.com/railyard-dev/railyard/internal/naming"
	"github.com/railyard-dev/railyard/internal/testenv"
)

const shardNS = "shards"

// TestShard runs Railyard across two control planes, as a hub and a spoke:
// the hub holds Railyard's objects and has no Argo CD; the spoke holds Argo
// CD's Applications (and the stand-in for its application controller).
// Managers of shards a and b, and the default manager, all reconcile the
// hub with --argocd-kubeconfig pointing at the spoke. Each touches only its
// own objects: they start one after the other (a, b, default), and what
// belongs to a manager not yet started must stay untouched until it starts.
func TestShard(t *testing.T) {
	crd, err := argocdtest.TestCRDPath()
	if err != nil {
		t.Fatal(err)
	}
	hub, err := testenv.Start(testenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = hub.Stop() })
	spoke, err := testenv.Start(testenv.Options{ExtraCRDPaths: []string{crd}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = spoke.Stop() })
	ctx := context.Background()
	h := &shardWorld{ctx: ctx, hub: hub.Client, spoke: spoke.Client}

	mustCreate(t, hub.Client, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: shardNS}})
	mustCreate(t, spoke.Client, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "argocd"}})
	for _, app := range []string{"app-a", "app-b"} {
		yaml := fmt.Sprintf(spokeApplication, app, shardNS+":stage-"+strings.TrimPrefix(app, "app-"), app)
		if _, err := spoke.Kubectl(ctx, strings.NewReader(yaml), "apply", "--server-side", "-f", "-"); err != nil {
			t.Fatal(err)
		}
	}
	startArgoStandIn(t, spoke.Client)

	// Warehouses: one per way of naming a shard, and one of a shard no
	// manager runs.
	newWarehouse(t, hub.Client, shardNS, "app")
	h.warehouse(t, "app-a", "a", nil)
	h.warehouse(t, "app-b", "", map[string]string{railyard.LabelKargoShard: "b"})
	h.warehouse(t, "app-nobody", "", map[string]string{railyard.LabelShard: "nobody"})
	f := newFreight(t, hub.Client, shardNS, "app", "v1")

	h.stage(t, "stage-a", "a", nil, "app-a")
	h.stage(t, "stage-b", "", map[string]string{railyard.LabelKargoShard: "b"}, "app-b")
	h.stage(t, "stage-default", "", nil, "")
	h.stage(t, "stage-nobody", "nobody", nil, "")
	// auto-b auto-promotes, in shard b.
	h.stage(t, "auto-b", "b", nil, "")
	mustCreate(t, hub.Client, &railyard.ProjectConfig{ObjectMeta: metav1.ObjectMeta{Name: shardNS, Namespace: shardNS},
		Spec: railyard.ProjectConfigSpec{PromotionPolicies: []railyard.PromotionPolicy{{Stage: "auto-b", AutoPromotionEnabled: true}}}})

	remote := func(name string) func(*manager.Options) {
		return func(o *manager.Options) {
			o.Shard = name
			o.ArgoCDKubeconfig = spoke.Kubeconfig
			o.ArgoCDProbeInterval = time.Second
		}
	}

	// Shard a alone. A Promotion a person made for stage-a carries no
	// shard label, so it waits for the default manager to hand it over;
	// one a Kargo user labelled for shard b waits for b.
	startManagerWith(t, hub, t.TempDir(), remote("a"))
	promoA := h.promote(t, "stage-a", f.Name, nil)
	promoB := h.promote(t, "stage-b", f.Name, map[string]string{railyard.LabelKargoShard: "b"})
	h.waitReconciled(t, &railyard.Warehouse{}, "app-a")
	h.waitReconciled(t, &railyard.Stage{}, "stage-a")
	time.Sleep(3 * time.Second) // time enough for a wrong manager to act
	h.untouched(t, &railyard.Warehouse{}, "app", "app-b", "app-nobody")
	h.untouched(t, &railyard.Stage{}, "stage-b", "stage-default", "stage-nobody")
	h.notStarted(t, promoA, promoB)
	if got := h.freight(t, f.Name); got.DiscoveredAt != nil {
		t.Errorf("the shard-a manager checked Freight of the default shard's Warehouse: %+v", got)
	}

	// Shard b joins: it runs the Promotion labelled for it and still leaves
	// the default manager's objects alone.
	startManagerWith(t, hub, t.TempDir(), remote("b"))
	done := h.waitPhase(t, promoB, railyard.PromotionPhaseSucceeded)
	if got := done.Labels[railyard.LabelShard]; got != "b" {
		t.Errorf("Promotion %s has shard label %q, want b (its Stage's)", promoB, got)
	}
	h.waitSynced(t, "app-b")
	h.waitHealthy(t, "stage-b")
	eventually(t, "auto-promotion of auto-b, in shard b", func() (bool, string) {
		var list railyard.PromotionList
		if err := h.hub.List(ctx, &list, client.InNamespace(shardNS)); err != nil {
			return false, err.Error()
		}
		for _, p := range list.Items {
			if p.Spec.Stage == "auto-b" {
				return p.Labels[railyard.LabelShard] == "b" && p.Status.Phase == railyard.PromotionPhaseSucceeded, fmt.Sprintf("%s %v", p.Status.Phase, p.Labels)
			}
		}
		return false, "no Promotion"
	})
	h.waitReconciled(t, &railyard.Warehouse{}, "app-b")
	time.Sleep(3 * time.Second)
	h.untouched(t, &railyard.Warehouse{}, "app", "app-nobody")
	h.untouched(t, &railyard.Stage{}, "stage-default", "stage-nobody")
	h.notStarted(t, promoA)
	if got := h.getPromotion(t, promoA); got.Labels[railyard.LabelShard] != "" {
		t.Errorf("Promotion %s was labelled before the default manager ran: %v", promoA, got.Labels)
	}
	if got := h.freight(t, f.Name); got.DiscoveredAt != nil {
		t.Errorf("a shard manager checked Freight of the default shard's Warehouse: %+v", got)
	}

	// The default manager joins: it hands promoA to shard a.
	startManagerWith(t, hub, t.TempDir(), remote(""))
	done = h.waitPhase(t, promoA, railyard.PromotionPhaseSucceeded)
	if got := done.Labels[railyard.LabelShard]; got != "a" {
		t.Errorf("Promotion %s has shard label %q, want a (its Stage's)", promoA, got)
	}
	h.waitSynced(t, "app-a")
	h.waitHealthy(t, "stage-a")
	h.waitReconciled(t, &railyard.Warehouse{}, "app")
	h.waitReconciled(t, &railyard.Stage{}, "stage-default")
	eventually(t, "the default manager to check the Freight", func() (bool, string) {
		got := h.freight(t, f.Name)
		return got.DiscoveredAt != nil, "not checked"
	})
	h.untouched(t, &railyard.Warehouse{}, "app-nobody")
	h.untouched(t, &railyard.Stage{}, "stage-nobody")

	t.Run("a manager of a shard no object has idles", func(t *testing.T) {
		idle := startManagerWith(t, hub, t.TempDir(), remote("idle"))
		time.Sleep(3 * time.Second)
		select {
		case err := <-idle.done:
			t.Fatalf("the idle manager stopped: %v", err)
		default:
		}
		h.untouched(t, &railyard.Stage{}, "stage-nobody")
		tagged := 0
		for _, line := range strings.Split(managerLog.String(), "\n") {
			if !strings.Contains(line, `"shard": "idle"`) {
				continue
			}
			tagged++
			if strings.Contains(line, "ERROR") {
				t.Errorf("the idle manager logged an error: %s", line)
			}
		}
		if tagged == 0 {
			t.Error("the idle manager logged nothing tagged with its shard")
		}
	})

	t.Run("an unreachable Argo CD gives the Stages that need it a condition, and Promotions wait for it", func(t *testing.T) {
		// Shard c's kubeconfig does not exist; shard d's names a server
		// that does not answer.
		badServer := filepath.Join(t.TempDir(), "kubeconfig")
		if err := os.WriteFile(badServer, []byte(unreachableKubeconfig), 0o600); err != nil {
			t.Fatal(err)
		}
		missing := filepath.Join(t.TempDir(), "missing")
		promotions := map[string]string{}
		for shardName, kubeconfig := range map[string]string{"c": missing, "d": badServer} {
			h.stage(t, "stage-"+shardName, shardName, nil, "app-"+shardName)
			h.stage(t, "plain-"+shardName, shardName, nil, "")
			m := startManagerWith(t, hub, t.TempDir(), func(o *manager.Options) {
				o.Shard = shardName
				o.ArgoCDKubeconfig = kubeconfig
				o.ArgoCDProbeInterval = time.Second
			})
			st := h.waitCondition(t, "stage-"+shardName, railyard.ConditionHealthy, railyard.ReasonArgoCDUnreachable)
			t.Logf("stage-%s: %s", shardName, meta.FindStatusCondition(st.Status.Conditions, railyard.ConditionHealthy).Message)
			// A Stage that does not use Argo CD is not concerned.
			h.waitReconciled(t, &railyard.Stage{}, "plain-"+shardName)
			if c := meta.FindStatusCondition(h.getStage(t, "plain-"+shardName).Status.Conditions, railyard.ConditionHealthy); c.Reason == railyard.ReasonArgoCDUnreachable {
				t.Errorf("plain-%s: %+v", shardName, c)
			}
			p := h.promote(t, "stage-"+shardName, f.Name, nil)
			promotions[shardName] = p
			eventually(t, "the Promotion to stage-"+shardName+" to wait for Argo CD", func() (bool, string) {
				got := h.getPromotion(t, p)
				msg := got.Status.Message
				for _, s := range got.Status.StepExecutionMetadata {
					msg += " " + s.Message
				}
				return got.Status.Phase == railyard.PromotionPhaseRunning && strings.Contains(msg, argocd.ErrUnreachable.Error()), fmt.Sprintf("%s %q", got.Status.Phase, msg)
			})
			select {
			case err := <-m.done:
				t.Fatalf("the manager of shard %s stopped: %v", shardName, err)
			default:
			}
		}

		// The missing kubeconfig appears (a Secret mounted late): shard c
		// picks it up without a restart, and its waiting Promotion ends.
		yaml := fmt.Sprintf(spokeApplication, "app-c", shardNS+":stage-c", "app-c")
		if _, err := spoke.Kubectl(ctx, strings.NewReader(yaml), "apply", "--server-side", "-f", "-"); err != nil {
			t.Fatal(err)
		}
		kubeconfig, err := os.ReadFile(spoke.Kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(missing, kubeconfig, 0o600); err != nil {
			t.Fatal(err)
		}
		h.waitPhase(t, promotions["c"], railyard.PromotionPhaseSucceeded)
		h.waitSynced(t, "app-c")
		h.waitHealthy(t, "stage-c")
	})
}

// unreachableKubeconfig names a server on a port nothing listens on.
const unreachableKubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: gone
  cluster:
    server: https://127.0.0.1:1
    insecure-skip-tls-verify: true
contexts:
- name: gone
  context:
    cluster: gone
    user: gone
current-context: gone
users:
- name: gone
  user:
    token: nothing
`

type shardWorld struct {
	ctx   context.Context
	hub   client.Client
	spoke client.Client
}

// spokeApplication is an Application (name, authorized stage, destination
// namespace) in the spoke's argocd namespace.
const spokeApplication = `apiVersion: argoproj.io/v1alpha1
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
    namespace: %s
  source:
    repoURL: https://git.example.com/unused.git
    targetRevision: main
    path: .
`

func (h *shardWorld) warehouse(t *testing.T, name, shardName string, labels map[string]string) {
	t.Helper()
	mustCreate(t, h.hub, &railyard.Warehouse{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: shardNS, Labels: labels},
		Spec: railyard.WarehouseSpec{
			Shard:                 shardName,
			FreightCreationPolicy: railyard.FreightCreationPolicyManual,
			Subscriptions:         []railyard.RepoSubscription{{Image: &railyard.ImageSubscription{RepoURL: imageOf(name)}}},
		},
	})
}

// stage creates a Stage taking Freight from Warehouse app; with app set it
// promotes by argocd-update of that Application (in the default
// namespace), else by compose-output alone.
func (h *shardWorld) stage(t *testing.T, name, shardName string, labels map[string]string, app string) {
	t.Helper()
	st := stageWith(shardNS, name, direct("app"))
	st.Labels = labels
	st.Spec.Shard = shardName
	if app != "" {
		st.Spec.PromotionTemplate.Spec.Steps = []railyard.PromotionStep{{Uses: "argocd-update", Config: config(`{"apps":[{"name":"` + app + `"}]}`)}}
	}
	mustCreate(t, h.hub, st)
}

func (h *shardWorld) promote(t *testing.T, stage, freightName string, labels map[string]string) string {
	t.Helper()
	p := &railyard.Promotion{
		ObjectMeta: metav1.ObjectMeta{Namespace: shardNS, Name: naming.PromotionName(stage, freightName, time.Now()), Labels: labels},
		Spec:       railyard.PromotionSpec{Stage: stage, Freight: freightName},
	}
	mustCreate(t, h.hub, p)
	return p.Name
}

func (h *shardWorld) get(t *testing.T, obj client.Object, name string) client.Object {
	t.Helper()
	if err := h.hub.Get(h.ctx, client.ObjectKey{Namespace: shardNS, Name: name}, obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

func (h *shardWorld) getStage(t *testing.T, name string) *railyard.Stage {
	return h.get(t, &railyard.Stage{}, name).(*railyard.Stage)
}

func (h *shardWorld) getPromotion(t *testing.T, name string) *railyard.Promotion {
	return h.get(t, &railyard.Promotion{}, name).(*railyard.Promotion)
}

func (h *shardWorld) freight(t *testing.T, name string) *railyard.Freight {
	return h.get(t, &railyard.Freight{}, name).(*railyard.Freight)
}

// conditionsOf returns a Warehouse's or Stage's conditions, which any
// reconcile writes.
func conditionsOf(obj client.Object) []metav1.Condition {
	switch o := obj.(type) {
	case *railyard.Warehouse:
		return o.Status.Conditions
	case *railyard.Stage:
		return o.Status.Conditions
	}
	return nil
}

func (h *shardWorld) waitReconciled(t *testing.T, obj client.Object, name string) {
	t.Helper()
	eventually(t, fmt.Sprintf("%T %s to be reconciled", obj, name), func() (bool, string) {
		h.get(t, obj, name)
		return len(conditionsOf(obj)) > 0, "no conditions"
	})
}

// untouched fails if any manager wrote the objects' status or finalizer.
func (h *shardWorld) untouched(t *testing.T, obj client.Object, names ...string) {
	t.Helper()
	for _, name := range names {
		h.get(t, obj, name)
		if c := conditionsOf(obj); len(c) > 0 || len(obj.GetFinalizers()) > 0 {
			t.Errorf("%T %s was reconciled by a manager of another shard: finalizers %v, conditions %+v", obj, name, obj.GetFinalizers(), c)
		}
	}
}

func (h *shardWorld) notStarted(t *testing.T, names ...string) {
	t.Helper()
	for _, name := range names {
		if p := h.getPromotion(t, name); p.Status.Phase != "" || len(p.Spec.Steps) > 0 {
			t.Errorf("Promotion %s was acted on by a manager of another shard: steps %d, %s %q", name, len(p.Spec.Steps), p.Status.Phase, p.Status.Message)
		}
	}
}

func (h *shardWorld) waitPhase(t *testing.T, name string, phase railyard.PromotionPhase) *railyard.Promotion {
	t.Helper()
	var p *railyard.Promotion
	eventually(t, "Promotion "+name+" "+string(phase), func() (bool, string) {
		p = h.getPromotion(t, name)
		if p.Status.Phase.IsTerminal() && p.Status.Phase != phase {
			t.Fatalf("Promotion %s ended %s, want %s: %s", name, p.Status.Phase, phase, p.Status.Message)
		}
		return p.Status.Phase == phase, fmt.Sprintf("%s %q labels %v", p.Status.Phase, p.Status.Message, p.Labels)
	})
	return p
}

// waitSynced waits for the spoke's Application to have completed a sync
// operation that argocd-update requested.
func (h *shardWorld) waitSynced(t *testing.T, name string) {
	t.Helper()
	eventually(t, "the spoke's Application "+name+" to be synced", func() (bool, string) {
		app := &argocd.Application{}
		if err := h.spoke.Get(h.ctx, client.ObjectKey{Namespace: "argocd", Name: name}, app); err != nil {
			return false, err.Error()
		}
		st := app.Status.OperationState
		return st != nil && st.Phase == argocd.OperationSucceeded, fmt.Sprintf("%+v", st)
	})
}

func (h *shardWorld) waitHealthy(t *testing.T, stage string) {
	t.Helper()
	h.waitCondition(t, stage, railyard.ConditionHealthy, railyard.ReasonHealthy)
}

func (h *shardWorld) waitCondition(t *testing.T, stage, condType, reason string) *railyard.Stage {
	t.Helper()
	var st *railyard.Stage
	eventually(t, fmt.Sprintf("Stage %s %s=%s", stage, condType, reason), func() (bool, string) {
		st = h.getStage(t, stage)
		c := meta.FindStatusCondition(st.Status.Conditions, condType)
		return c != nil && c.Reason == reason, fmt.Sprintf("%+v", c)
	})
	return st
}
