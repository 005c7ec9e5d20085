package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/naming"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// TestSecurityAndLifecycle attacks the Promotion API as a promoter would and
// breaks things as bad luck would, with the real manager and the admission
// policies of config/admission on envtest: a promoter's own steps never run,
// an unknown step is found before any step runs, a hung git server holds
// only its own Stage, deleting a Stage or a Promotion leaves nothing behind
// and nothing that resumes, and any legal Stage name auto-promotes.
func TestSecurityAndLifecycle(t *testing.T) {
	env, err := testenv.Start(testenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	ctx := context.Background()
	admission, err := env.Kubectl(ctx, nil, "kustomize", filepath.Join(env.Root, "config", "admission"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Kubectl(ctx, strings.NewReader(admission), "apply", "--server-side", "-f", "-"); err != nil {
		t.Fatal(err)
	}

	// A work directory left by a Promotion that no longer exists, as a
	// manager that died finds it when it starts again.
	workDir := t.TempDir()
	stale := filepath.Join(workDir, "promotion-00000000-dead-beef-0000-000000000000")
	if err := os.MkdirAll(filepath.Join(stale, "out"), 0o700); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	startManager(t, env, workDir)
	frozen := newFrozenServer(t) // after the manager: its cleanup runs first and unblocks git
	s := &semantics{t: t, ctx: ctx, c: env.Client}
	sec := &security{semantics: s, env: env, workDir: workDir, frozen: frozen}

	t.Run("the manager removes work directories of Promotions that are gone", func(t *testing.T) {
		eventually(t, "the stale work directory to be removed", func() (bool, string) {
			_, err := os.Stat(stale)
			return os.IsNotExist(err), fmt.Sprint(err)
		})
	})
	t.Run("a promoter's own steps are refused at admission", sec.promoterStepsRefused)
	t.Run("steps the controller did not copy never run", sec.foreignStepsNeverRun)
	t.Run("an unknown step is refused before any step runs", sec.unknownStepRefusedFirst)
	t.Run("a Promotion for a missing Stage is Stalled with an Event", sec.missingStageStalls)
	t.Run("a hung git server holds only its own Stage", sec.hungGitServerHoldsOneStage)
	t.Run("deleting a Stage aborts its Promotions for good", sec.stageDeletionAborts)
	t.Run("a deleted Promotion's work directory is removed", sec.deletedPromotionCleansUp)
	t.Run("a Stage name whose label truncation ends in a dash auto-promotes", sec.longStageNameAutoPromotes)
	t.Run("a failed auto-promotion is a condition and an Event", sec.autoPromotionFailureShows)
	t.Run("a webhook receiver may name only a Secret its author can read", sec.receiverNeedsSecretAccess)
}

type security struct {
	*semantics
	env     *testenv.Env
	workDir string
	frozen  *frozenServer
}

// promoter returns a client for a user who may promote to stage only, as
// the docs' example RoleBinding allows.
func (s *security) promoter(t *testing.T, ns, user, stage string) client.Client {
	t.Helper()
	mustCreate(t, s.c, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: user, Namespace: ns},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{railyard.GroupVersion.Group}, Resources: []string{"stages"}, ResourceNames: []string{stage}, Verbs: []string{"promote"}},
			{APIGroups: []string{railyard.GroupVersion.Group}, Resources: []string{"promotions"}, Verbs: []string{"create", "get", "list", "watch", "update", "patch"}},
			{APIGroups: []string{railyard.GroupVersion.Group}, Resources: []string{"stages", "freights", "warehouses"}, Verbs: []string{"get", "list", "watch", "patch"}},
		},
	})
	mustCreate(t, s.c, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: user, Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: user},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: user}},
	})
	_, cfg, err := s.env.AddUser(user)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: s.c.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A user with the promote verb on test only tries to run their own steps
// (which here would push to prod's branch): creating the Promotion with
// steps or vars is refused, and so is filling them in afterwards. The
// Promotion they may create runs exactly the Stage's steps.
func (s *security) promoterStepsRefused(t *testing.T) {
	ns := s.namespace(t)
	stage := stageWith(ns, "test", direct("app"))
	mustCreate(t, s.c, stage)
	f := newFreight(t, s.c, ns, "app", "v1")
	mallory := s.promoter(t, ns, "mallory", "test")

	own := &railyard.Promotion{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "own-steps"},
		Spec: railyard.PromotionSpec{Stage: "test", Freight: f.Name, Steps: []railyard.PromotionStep{
			{Uses: "git-push", Config: config(`{"path":"out","targetBranch":"kargo/titiler/prod"}`)},
		}},
	}
	var err error
	// The policy takes a moment to be loaded by the API server.
	eventually(t, "the policy to refuse steps", func() (bool, string) {
		err = mallory.Create(s.ctx, own.DeepCopy())
		if err == nil {
			// Loaded too late for this attempt; the controller refuses it
			// (see foreignStepsNeverRun). Try again under another name.
			own.Name += "x"
		}
		return err != nil, "created"
	})
	if !apierrors.IsForbidden(err) && !apierrors.IsInvalid(err) {
		t.Fatalf("creating a Promotion with steps: %v, want a refusal", err)
	}
	if want := "may not set spec.steps or spec.vars"; !strings.Contains(err.Error(), want) {
		t.Fatalf("refusal %q does not contain %q", err, want)
	}
	withVars := own.DeepCopy()
	withVars.Name = "own-vars"
	withVars.Spec.Steps = nil
	withVars.Spec.Vars = []railyard.ExpressionVariable{{Name: "branch", Value: "kargo/titiler/prod"}}
	if err := mallory.Create(s.ctx, withVars); err == nil || !strings.Contains(err.Error(), "may not set spec.steps or spec.vars") {
		t.Fatalf("creating a Promotion with vars: %v, want a refusal", err)
	}

	// The Promotion mallory may create runs the Stage's steps.
	name := naming.PromotionName("test", f.Name, time.Now())
	if err := mallory.Create(s.ctx, &railyard.Promotion{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       railyard.PromotionSpec{Stage: "test", Freight: f.Name},
	}); err != nil {
		t.Fatalf("mallory may promote to test: %v", err)
	}
	p := s.waitPhase(t, ns, name, railyard.PromotionPhaseSucceeded)
	if len(p.Spec.Steps) != 1 || p.Spec.Steps[0].Uses != "compose-output" || p.Status.StepsDigest == "" {
		t.Fatalf("the Promotion ran %+v (digest %q), want the Stage's compose-output step", p.Spec.Steps, p.Status.StepsDigest)
	}
	// Filling steps in after creation is refused too (the CRD already
	// forbids changing steps once set; this one is a fresh, empty one).
	queued := &railyard.Promotion{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "later-fill"},
		Spec:       railyard.PromotionSpec{Stage: "nonexistent", Freight: f.Name},
	}
	if err := s.c.Create(s.ctx, queued); err != nil {
		t.Fatal(err)
	}
	if err := mallory.Get(s.ctx, client.ObjectKeyFromObject(queued), queued); err != nil {
		t.Fatal(err)
	}
	// The controller writes status meanwhile; retry on conflicts.
	eventually(t, "filling in steps later to be refused", func() (bool, string) {
		if err := mallory.Get(s.ctx, client.ObjectKeyFromObject(queued), queued); err != nil {
			return false, err.Error()
		}
		queued.Spec.Steps = own.Spec.Steps
		err := mallory.Update(s.ctx, queued)
		if err == nil {
			t.Fatal("mallory filled in the steps of a Promotion")
		}
		return strings.Contains(err.Error(), "may not set spec.steps or spec.vars"), err.Error()
	})
}

// Where the admission policy is missing (or the creator may pass it),
// steps in a new Promotion are still never run: the controller refuses a
// Promotion whose steps it did not copy, before any step.
func (s *security) foreignStepsNeverRun(t *testing.T) {
	ns := s.namespace(t)
	mustCreate(t, s.c, stageWith(ns, "test", direct("app")))
	f := newFreight(t, s.c, ns, "app", "v1")
	p := &railyard.Promotion{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: naming.PromotionName("test", f.Name, time.Now())},
		Spec: railyard.PromotionSpec{Stage: "test", Freight: f.Name, Steps: []railyard.PromotionStep{
			{Uses: "compose-output", Config: config(`{"pwned":"yes"}`)},
		}},
	}
	mustCreate(t, s.c, p) // as the cluster admin, whom the policy lets through
	got := s.waitPhase(t, ns, p.Name, railyard.PromotionPhaseErrored)
	if !strings.Contains(got.Status.Message, "may not be set by the creator") {
		t.Errorf("message %q does not say why", got.Status.Message)
	}
	if len(got.Status.StepExecutionMetadata) != 0 || got.Status.State != nil {
		t.Errorf("a step ran: %+v, state %s", got.Status.StepExecutionMetadata, got.Status.State)
	}
}

// An unknown `uses:` after a step that changes the world (git-push in the
// finding) is refused when the Promotion is snapshotted: no step runs.
func (s *security) unknownStepRefusedFirst(t *testing.T) {
	ns := s.namespace(t)
	st := stageWith(ns, "test", direct("app"))
	st.Spec.PromotionTemplate.Spec.Steps = append(st.Spec.PromotionTemplate.Spec.Steps,
		railyard.PromotionStep{Uses: "no-such-step"})
	mustCreate(t, s.c, st)
	f := newFreight(t, s.c, ns, "app", "v1")
	p := s.waitPhase(t, ns, s.promote(t, ns, "test", f.Name), railyard.PromotionPhaseErrored)
	if !strings.Contains(p.Status.Message, `uses "no-such-step", which is not a known step`) {
		t.Errorf("message %q does not name the unknown step", p.Status.Message)
	}
	if len(p.Status.StepExecutionMetadata) != 0 {
		t.Errorf("steps ran before the unknown one was noticed: %+v", p.Status.StepExecutionMetadata)
	}
	// The same for an expression that does not compile.
	bad := stageWith(ns, "bad-expr", direct("app"))
	bad.Spec.PromotionTemplate.Spec.Steps[0].If = "${{ vars.( }}"
	mustCreate(t, s.c, bad)
	p = s.waitPhase(t, ns, s.promote(t, ns, "bad-expr", f.Name), railyard.PromotionPhaseErrored)
	if !strings.Contains(p.Status.Message, "does not compile") {
		t.Errorf("message %q does not say the expression does not compile", p.Status.Message)
	}
}

func (s *security) missingStageStalls(t *testing.T) {
	ns := s.namespace(t)
	f := newFreight(t, s.c, ns, "app", "v1")
	name := s.promote(t, ns, "nowhere", f.Name)
	eventually(t, "the Promotion to be Stalled", func() (bool, string) {
		p := &railyard.Promotion{}
		if err := s.c.Get(s.ctx, client.ObjectKey{Namespace: ns, Name: name}, p); err != nil {
			return false, err.Error()
		}
		c := meta.FindStatusCondition(p.Status.Conditions, railyard.ConditionStalled)
		return c != nil && c.Reason == railyard.ReasonStageNotFound && strings.Contains(c.Message, `Stage "nowhere" does not exist`), fmt.Sprintf("%+v", p.Status)
	})
	s.waitEvent(t, ns, "Promotion", name, railyard.ReasonStageNotFound)
	// Once the Stage exists, the Promotion goes on and the condition goes.
	mustCreate(t, s.c, stageWith(ns, "nowhere", direct("app")))
	p := s.waitPhase(t, ns, name, railyard.PromotionPhaseSucceeded)
	if c := meta.FindStatusCondition(p.Status.Conditions, railyard.ConditionStalled); c != nil {
		t.Errorf("Stalled is still set: %+v", c)
	}
}

func (s *security) waitEvent(t *testing.T, ns, kind, name, reason string) {
	t.Helper()
	eventually(t, kind+" "+name+" Event "+reason, func() (bool, string) {
		var list eventsv1.EventList
		if err := s.c.List(s.ctx, &list, client.InNamespace(ns)); err != nil {
			return false, err.Error()
		}
		var seen []string
		for _, e := range list.Items {
			if e.Regarding.Kind == kind && e.Regarding.Name == name && e.Reason == reason {
				return true, ""
			}
			seen = append(seen, e.Regarding.Kind+"/"+e.Regarding.Name+" "+e.Reason)
		}
		return false, strings.Join(seen, ", ")
	})
}

// gitStage promotes by cloning from the frozen server.
func (s *security) gitStage(ns, name string) *railyard.Stage {
	st := stageWith(ns, name, direct("app"))
	st.Spec.PromotionTemplate.Spec.Steps = []railyard.PromotionStep{{
		Uses:   "git-clone",
		Config: config(fmt.Sprintf(`{"repoURL":%q,"checkout":[{"branch":"main","path":"src"}]}`, s.frozen.url())),
	}}
	return st
}

// A git server that accepts connections and never answers keeps its own
// Stage's Promotion running; a Promotion to another Stage finishes
// meanwhile.
func (s *security) hungGitServerHoldsOneStage(t *testing.T) {
	ns := s.namespace(t)
	mustCreate(t, s.c, s.gitStage(ns, "slow"))
	mustCreate(t, s.c, stageWith(ns, "fast", direct("app")))
	f := newFreight(t, s.c, ns, "app", "v1")
	slow := s.promote(t, ns, "slow", f.Name)
	eventually(t, "the slow Promotion to reach the frozen server", func() (bool, string) {
		return s.frozen.connections() > 0, "no connection yet"
	})
	fast := s.waitPhase(t, ns, s.promote(t, ns, "fast", f.Name), railyard.PromotionPhaseSucceeded)
	p := &railyard.Promotion{}
	if err := s.c.Get(s.ctx, client.ObjectKey{Namespace: ns, Name: slow}, p); err != nil {
		t.Fatal(err)
	}
	if p.Status.Phase != railyard.PromotionPhaseRunning {
		t.Fatalf("the slow Promotion is %s (%q), want Running while %s finished", p.Status.Phase, p.Status.Message, fast.Name)
	}
	s.abort(t, ns, slow)
	s.frozen.release() // the server comes back to life as a refusal
	s.waitPhase(t, ns, slow, railyard.PromotionPhaseAborted)
}

func (s *security) abort(t *testing.T, ns, name string) {
	t.Helper()
	p := &railyard.Promotion{}
	if err := s.c.Get(s.ctx, client.ObjectKey{Namespace: ns, Name: name}, p); err != nil {
		t.Fatal(err)
	}
	base := p.DeepCopy()
	p.Annotations = map[string]string{railyard.AnnotationAbort: "test"}
	if err := s.c.Patch(s.ctx, p, client.MergeFrom(base)); err != nil {
		t.Fatal(err)
	}
}

// Deleting a Stage aborts its running and queued Promotions; a new Stage of
// the same name does not bring them back.
func (s *security) stageDeletionAborts(t *testing.T) {
	ns := s.namespace(t)
	mustCreate(t, s.c, s.gitStage(ns, "doomed"))
	f := newFreight(t, s.c, ns, "app", "v1")
	f2 := newFreight(t, s.c, ns, "app", "v2")
	before := s.frozen.connections()
	running := s.promote(t, ns, "doomed", f.Name)
	eventually(t, "the Promotion to reach the frozen server", func() (bool, string) {
		return s.frozen.connections() > before, "no connection yet"
	})
	queued := s.promote(t, ns, "doomed", f2.Name)
	eventually(t, "the second Promotion to queue", func() (bool, string) {
		p := &railyard.Promotion{}
		_ = s.c.Get(s.ctx, client.ObjectKey{Namespace: ns, Name: queued}, p)
		return strings.HasPrefix(p.Status.Message, "waiting for Promotion"), p.Status.Message
	})
	if err := s.c.Delete(s.ctx, s.stage(t, ns, "doomed")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the Stage to be gone", func() (bool, string) {
		err := s.c.Get(s.ctx, client.ObjectKey{Namespace: ns, Name: "doomed"}, &railyard.Stage{})
		return apierrors.IsNotFound(err), fmt.Sprint(err)
	})
	s.frozen.release()
	for _, name := range []string{running, queued} {
		p := s.waitPhase(t, ns, name, railyard.PromotionPhaseAborted)
		if !strings.Contains(p.Status.Message, `Stage "doomed" was deleted`) {
			t.Errorf("Promotion %s: message %q does not say the Stage was deleted", name, p.Status.Message)
		}
	}
	// A new Stage of the same name starts from nothing.
	mustCreate(t, s.c, stageWith(ns, "doomed", direct("app")))
	time.Sleep(2 * time.Second)
	for _, name := range []string{running, queued} {
		p := &railyard.Promotion{}
		if err := s.c.Get(s.ctx, client.ObjectKey{Namespace: ns, Name: name}, p); err != nil {
			t.Fatal(err)
		}
		if p.Status.Phase != railyard.PromotionPhaseAborted {
			t.Errorf("Promotion %s resumed against the new Stage: %s %q", name, p.Status.Phase, p.Status.Message)
		}
	}
}

// A Promotion deleted while it runs loses its work directory with it.
func (s *security) deletedPromotionCleansUp(t *testing.T) {
	ns := s.namespace(t)
	mustCreate(t, s.c, s.gitStage(ns, "test"))
	f := newFreight(t, s.c, ns, "app", "v1")
	name := s.promote(t, ns, "test", f.Name)
	p := s.waitPhase(t, ns, name, railyard.PromotionPhaseRunning)
	dir := filepath.Join(s.workDir, "promotion-"+string(p.UID))
	eventually(t, "the work directory to exist", func() (bool, string) {
		_, err := os.Stat(dir)
		return err == nil, fmt.Sprint(err)
	})
	if err := s.c.Delete(s.ctx, p); err != nil {
		t.Fatal(err)
	}
	s.frozen.release()
	eventually(t, "the Promotion and its work directory to be gone", func() (bool, string) {
		err := s.c.Get(s.ctx, client.ObjectKey{Namespace: ns, Name: name}, &railyard.Promotion{})
		_, statErr := os.Stat(dir)
		return apierrors.IsNotFound(err) && os.IsNotExist(statErr), fmt.Sprintf("get: %v; dir: %v", err, statErr)
	})
}

// A 64-character Stage name whose first 63 characters end in '-' used to
// make every auto-promotion fail on an invalid label value.
func (s *security) longStageNameAutoPromotes(t *testing.T) {
	name := strings.Repeat("a", 62) + "-b"
	ns := s.namespace(t, name)
	mustCreate(t, s.c, stageWith(ns, name, direct("app")))
	f := newFreight(t, s.c, ns, "app", "v1")
	s.waitCurrent(t, ns, name, map[string]string{"Warehouse/app": f.Name})
	var list railyard.PromotionList
	if err := s.c.List(s.ctx, &list, client.InNamespace(ns), client.MatchingLabels{railyard.LabelStage: naming.LabelValue(name)}); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 {
		t.Fatalf("%d Promotions carry the Stage label, want 1", len(list.Items))
	}
}

// Auto-promotion that the API server refuses (here: an admission policy
// that refuses every Promotion in the namespace) shows on the Stage as
// Stalled with an Event, and clears once it works again.
func (s *security) autoPromotionFailureShows(t *testing.T) {
	ns := s.namespace(t, "test")
	policy := &admissionv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "no-promotions-in-" + ns},
		Spec: admissionv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: ptr.To(admissionv1.Fail),
			MatchConstraints: &admissionv1.MatchResources{ResourceRules: []admissionv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionv1.RuleWithOperations{
					Operations: []admissionv1.OperationType{admissionv1.Create},
					Rule:       admissionv1.Rule{APIGroups: []string{"railyard.dev"}, APIVersions: []string{"*"}, Resources: []string{"promotions"}},
				},
			}}},
			Validations: []admissionv1.Validation{{Expression: fmt.Sprintf("object.metadata.namespace != %q", ns), Message: "promotions are closed"}},
		},
	}
	binding := &admissionv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: policy.Name},
		Spec:       admissionv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: policy.Name, ValidationActions: []admissionv1.ValidationAction{admissionv1.Deny}},
	}
	mustCreate(t, s.c, policy)
	mustCreate(t, s.c, binding)
	eventually(t, "the policy to refuse Promotions", func() (bool, string) {
		err := s.c.Create(s.ctx, &railyard.Promotion{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: "probe-"},
			Spec:       railyard.PromotionSpec{Stage: "probe", Freight: "f"},
		})
		return err != nil, "created"
	})
	mustCreate(t, s.c, stageWith(ns, "test", direct("app")))
	f := newFreight(t, s.c, ns, "app", "v1")
	eventually(t, "the Stage to be Stalled", func() (bool, string) {
		c := meta.FindStatusCondition(s.stage(t, ns, "test").Status.Conditions, railyard.ConditionStalled)
		return c != nil && c.Reason == railyard.ReasonAutoPromotionFailed && strings.Contains(c.Message, f.Name) && strings.Contains(c.Message, "promotions are closed"), fmt.Sprintf("%+v", c)
	})
	s.waitEvent(t, ns, "Stage", "test", railyard.ReasonAutoPromotionFailed)
	for _, obj := range []client.Object{binding, policy} {
		if err := s.c.Delete(s.ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	// The next reconcile (a new Freight, or the periodic one) tries again.
	var f2 *railyard.Freight
	eventually(t, "Promotions to be allowed again", func() (bool, string) {
		err := s.c.Create(s.ctx, &railyard.Promotion{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: "probe-"},
			Spec:       railyard.PromotionSpec{Stage: "probe", Freight: "f"},
		})
		return err == nil, fmt.Sprint(err)
	})
	f2 = newFreight(t, s.c, ns, "app", "v2")
	s.waitCurrent(t, ns, "test", map[string]string{"Warehouse/app": f2.Name})
	eventually(t, "Stalled to clear", func() (bool, string) {
		c := meta.FindStatusCondition(s.stage(t, ns, "test").Status.Conditions, railyard.ConditionStalled)
		return c == nil, fmt.Sprintf("%+v", c)
	})
}

// frozenServer accepts TCP connections and never answers, like a git
// server that hangs. release closes the connections made so far (the client
// sees the server drop them); later ones hang again, until the test ends.
type frozenServer struct {
	l        net.Listener
	mu       sync.Mutex
	conns    []net.Conn
	accepted int
	released bool
}

func newFrozenServer(t *testing.T) *frozenServer {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &frozenServer{l: l}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.accepted++
			if s.released {
				_ = c.Close()
			} else {
				s.conns = append(s.conns, c)
			}
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		s.mu.Lock()
		s.released = true
		s.mu.Unlock()
		s.release()
	})
	return s
}

func (s *frozenServer) url() string { return "http://" + s.l.Addr().String() + "/gitops.git" }

func (s *frozenServer) connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

func (s *frozenServer) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		_ = c.Close()
	}
	s.conns = nil
}
