package stage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/oklog/ulid/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/expr"
	"github.com/railyard-dev/railyard/internal/freight"
	"github.com/railyard-dev/railyard/internal/rollouts"
)

// rolloutsNotInstalled explains why a Stage with analysis templates does
// not verify.
const rolloutsNotInstalled = "verification needs Argo Rollouts: the AnalysisRun kind (argoproj.io/v1alpha1) is not served by this cluster; install Argo Rollouts' CRDs and controller (the Stage checks again on its next reconcile, at the latest after 5m)"

// maxVerificationHistory bounds the verifications kept per Freight collection.
const maxVerificationHistory = 10

// verify verifies the current Freight of the Stage once the Stage is healthy
// after its Promotion. Without analysis templates the Freight is verified
// then; with them an Argo Rollouts AnalysisRun is created and its outcome
// decides. A verified Freight becomes available to downstream Stages.
func (r *Reconciler) verify(ctx context.Context, sc *scope) error {
	st := sc.stage
	if len(st.Status.FreightHistory) == 0 || promoting(sc) {
		return nil
	}
	cur := &st.Status.FreightHistory[0]
	if hasAnalysis(st) {
		return r.verifyWithAnalysis(ctx, sc, cur)
	}
	if isVerified(cur) {
		return nil
	}
	if !healthy(st) {
		return nil
	}
	now := metav1.NewTime(sc.now)
	r.markVerified(sc, cur, now, "the Freight of collection "+cur.ID+" is verified in Stage "+st.Name)
	pushVerification(cur, railyard.VerificationInfo{
		ID:         newVerificationID(),
		StartTime:  &now,
		FinishTime: &now,
		Phase:      railyard.VerificationPhaseSuccessful,
		Message:    "the Stage is healthy after its promotion",
	})
	return nil
}

// verifying reports whether the current Freight's verification has not
// finished.
func verifying(st *railyard.Stage) bool {
	if len(st.Status.FreightHistory) == 0 {
		return false
	}
	last := currentVerification(&st.Status.FreightHistory[0])
	return last != nil && !rollouts.IsTerminal(last.Phase)
}

func hasAnalysis(st *railyard.Stage) bool {
	return st.Spec.Verification != nil && len(st.Spec.Verification.AnalysisTemplates) > 0
}

func healthy(st *railyard.Stage) bool {
	return st.Status.Health != nil && st.Status.Health.Status == railyard.HealthStateHealthy
}

// verifyWithAnalysis follows the verification of the current Freight
// through its AnalysisRun, as Kargo does: a running verification is observed
// (or aborted on request); a finished one stays as it is until a re-verify
// request names it; a new one starts once the Stage is healthy.
func (r *Reconciler) verifyWithAnalysis(ctx context.Context, sc *scope, cur *railyard.FreightCollection) error {
	st := sc.stage
	last := currentVerification(cur)
	if last != nil && !rollouts.IsTerminal(last.Phase) && last.AnalysisRun != nil {
		if req := railyard.StageVerificationRequest(st.Annotations, last.ID, railyard.AnnotationAbort, railyard.AnnotationKargoAbort); req != nil {
			return r.abortVerification(ctx, sc, cur, last, req)
		}
		return r.observeRun(ctx, sc, cur, last)
	}
	var req *railyard.VerificationRequest
	if last != nil && rollouts.IsTerminal(last.Phase) {
		req = railyard.StageVerificationRequest(st.Annotations, last.ID, railyard.AnnotationReverify, railyard.AnnotationKargoReverify)
		if req == nil {
			return nil
		}
	}
	if !healthy(st) {
		return nil
	}
	ready, err := r.rolloutsReady()
	if err != nil {
		return err
	}
	if !ready {
		r.blockVerification(sc, rolloutsNotInstalled)
		return nil
	}
	return r.startVerification(ctx, sc, cur, req)
}

// blockVerification reports that verification cannot start; the Verified
// condition says why, and an Event is emitted only when that is news.
func (r *Reconciler) blockVerification(sc *scope, msg string) {
	sc.verificationBlocked = msg
	sc.requeueAfter(rolloutsRecheck)
	if c := meta.FindStatusCondition(sc.stage.Status.Conditions, railyard.ConditionVerified); c == nil || c.Reason != railyard.ReasonRolloutsNotInstalled {
		r.events().Warning(sc.stage, railyard.ReasonRolloutsNotInstalled, msg)
	}
}

// startVerification creates the AnalysisRun of a new verification, or
// adopts the run that already carries it out (one a previous reconcile
// created but could not record, or recorded in a write the Stage read here
// does not show yet), and records it in the verification history: one
// AnalysisRun per verification attempt.
// Configuration problems (a missing template, an undeclared argument, an
// invalid metric, an expression that fails) end the verification in Error
// with a message naming the cause; they are not retried until the Freight
// is re-verified or promoted again.
func (r *Reconciler) startVerification(ctx context.Context, sc *scope, cur *railyard.FreightCollection, req *railyard.VerificationRequest) error {
	st := sc.stage
	now := metav1.NewTime(sc.now)
	vi := railyard.VerificationInfo{ID: newVerificationID(), StartTime: &now, Phase: railyard.VerificationPhasePending}
	if req != nil {
		vi.Actor = req.Actor
	}
	fail := func(msg string) error {
		vi.Phase, vi.Message, vi.FinishTime = railyard.VerificationPhaseError, msg, &now
		pushVerification(cur, vi)
		r.events().Warning(st, railyard.ReasonVerificationError, fmt.Sprintf("verification of Freight collection %s in Stage %s: %s", cur.ID, st.Name, msg))
		return nil
	}
	// The Stage read may be older than the last write of this reconciler
	// (the cache lags behind): the run a previous reconcile started for this
	// verification is adopted, under its ID, rather than started again.
	runs, err := rollouts.FindRuns(ctx, r.Client, st.Namespace, st.Name, cur.ID)
	if err != nil {
		if errors.Is(err, rollouts.ErrNotInstalled) || meta.IsNoMatchError(err) {
			r.blockVerification(sc, rolloutsNotInstalled)
			return nil
		}
		return err
	}
	if run := runToAdopt(runs, req); run != nil {
		adoptRun(&vi, run)
		updateFromRun(&vi, run, now)
		pushVerification(cur, vi)
		return r.afterObservation(ctx, sc, cur, &vi)
	}
	args, err := r.verificationArgs(ctx, st, cur)
	if err != nil {
		return fail(err.Error())
	}
	opts := rollouts.BuildOptions{
		Namespace:           st.Namespace,
		Stage:               st.Name,
		Freight:             freightNames(cur),
		FreightCollectionID: cur.ID,
		Templates:           st.Spec.Verification.AnalysisTemplates,
		Args:                args,
		Verification:        vi.ID,
		Actor:               vi.Actor,
		Now:                 sc.now,
	}
	if req != nil {
		opts.Reverifies = req.ID
	}
	if md := st.Spec.Verification.AnalysisRunMetadata; md != nil {
		opts.Metadata = *md
	}
	if req == nil && st.Status.LastPromotion != nil {
		opts.Promotion = st.Status.LastPromotion.Name
	}
	run, err := rollouts.BuildAnalysisRun(ctx, r.Client, opts)
	switch {
	case errors.Is(err, rollouts.ErrNotInstalled):
		r.blockVerification(sc, rolloutsNotInstalled)
		return nil
	case errors.Is(err, rollouts.ErrTemplateNotFound), errors.Is(err, rollouts.ErrInvalid):
		return fail(err.Error())
	case err != nil:
		return fmt.Errorf("building the AnalysisRun of Stage %s: %w", st.Name, err)
	}
	if err := r.Client.Create(ctx, run); err != nil {
		if apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) {
			return fail(fmt.Sprintf("the API server refused AnalysisRun %s: %v", run.GetName(), err))
		}
		return fmt.Errorf("creating AnalysisRun %s: %w", run.GetName(), err)
	}
	vi.AnalysisRun = &railyard.AnalysisRunReference{Namespace: run.GetNamespace(), Name: run.GetName()}
	pushVerification(cur, vi)
	r.events().Normal(st, railyard.EventVerificationStarted, fmt.Sprintf("AnalysisRun %s verifies Freight collection %s", run.GetName(), cur.ID))
	return nil
}

// runToAdopt returns the run that already carries out the verification
// about to start, if any (runs are newest first): for a first verification,
// the newest run of the Freight collection (as Kargo does, so a collection
// promoted again is not verified twice); for a re-verification, the run
// started for this request.
func runToAdopt(runs []unstructured.Unstructured, req *railyard.VerificationRequest) *unstructured.Unstructured {
	for i := range runs {
		if req == nil || runs[i].GetAnnotations()[rollouts.AnnotationReverifies] == req.ID {
			return &runs[i]
		}
	}
	return nil
}

// adoptRun takes the verification's ID, actor and start from the run that
// carries it out.
func adoptRun(vi *railyard.VerificationInfo, run *unstructured.Unstructured) {
	a := run.GetAnnotations()
	if id := a[rollouts.AnnotationVerification]; id != "" {
		vi.ID = id
	}
	if actor := a[rollouts.AnnotationActor]; actor != "" {
		vi.Actor = actor
	}
	if created := run.GetCreationTimestamp(); !created.IsZero() {
		vi.StartTime = &created
	}
}

// observeRun brings the running verification up to date with its
// AnalysisRun.
func (r *Reconciler) observeRun(ctx context.Context, sc *scope, cur *railyard.FreightCollection, vi *railyard.VerificationInfo) error {
	ref := vi.AnalysisRun
	run := rollouts.NewRun()
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, run)
	switch {
	case apierrors.IsNotFound(err):
		now := metav1.NewTime(sc.now)
		vi.Phase, vi.FinishTime = railyard.VerificationPhaseError, &now
		vi.Message = fmt.Sprintf("AnalysisRun %s no longer exists", ref.Name)
		return r.afterObservation(ctx, sc, cur, vi)
	case meta.IsNoMatchError(err):
		r.blockVerification(sc, rolloutsNotInstalled)
		return nil
	case err != nil:
		return fmt.Errorf("getting AnalysisRun %s: %w", ref.Name, err)
	}
	updateFromRun(vi, run, metav1.NewTime(sc.now))
	return r.afterObservation(ctx, sc, cur, vi)
}

// afterObservation acts on a verification that may just have finished:
// success marks the Freight verified in the Stage (its soak starts then).
func (r *Reconciler) afterObservation(ctx context.Context, sc *scope, cur *railyard.FreightCollection, vi *railyard.VerificationInfo) error {
	st := sc.stage
	switch vi.Phase {
	case railyard.VerificationPhaseSuccessful:
		at := metav1.NewTime(sc.now)
		if vi.FinishTime != nil {
			at = *vi.FinishTime
		}
		r.markVerified(sc, cur, at, fmt.Sprintf("the Freight of collection %s is verified in Stage %s by AnalysisRun %s", cur.ID, st.Name, runName(vi)))
	case railyard.VerificationPhaseFailed, railyard.VerificationPhaseError, railyard.VerificationPhaseInconclusive:
		r.events().Warning(st, railyard.VerificationEndedReason(string(vi.Phase)), fmt.Sprintf("verification of Freight collection %s in Stage %s: %s", cur.ID, st.Name, verificationMessage(vi)))
	}
	return nil
}

// abortVerification terminates the running AnalysisRun and ends the
// verification as Aborted.
func (r *Reconciler) abortVerification(ctx context.Context, sc *scope, cur *railyard.FreightCollection, vi *railyard.VerificationInfo, req *railyard.VerificationRequest) error {
	ref := vi.AnalysisRun
	// A run that is gone (or Argo Rollouts with it) needs no stopping.
	if err := rollouts.Abort(ctx, r.Client, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}); err != nil && !apierrors.IsNotFound(err) && !meta.IsNoMatchError(err) {
		return err
	}
	now := metav1.NewTime(sc.now)
	vi.Phase, vi.FinishTime, vi.Message = railyard.VerificationPhaseAborted, &now, rollouts.AbortedMessage
	if req.Actor != "" {
		vi.Actor = req.Actor
		vi.Message += " by " + req.Actor
	}
	r.events().Normal(sc.stage, railyard.ReasonVerificationAborted, fmt.Sprintf("verification of Freight collection %s in Stage %s aborted (AnalysisRun %s)", cur.ID, sc.stage.Name, ref.Name))
	return nil
}

// updateFromRun copies a run's phase, message and completion into vi.
func updateFromRun(vi *railyard.VerificationInfo, run *unstructured.Unstructured, now metav1.Time) {
	phase, msg := rollouts.Phase(run)
	raw, _, _ := unstructured.NestedString(run.Object, "status", "phase")
	vi.Phase, vi.Message = phase, msg
	vi.AnalysisRun = &railyard.AnalysisRunReference{Namespace: run.GetNamespace(), Name: run.GetName(), Phase: raw}
	if rollouts.IsTerminal(phase) {
		vi.FinishTime = rollouts.CompletedAt(run)
		if vi.FinishTime == nil {
			vi.FinishTime = &now
		}
	}
}

// verificationArgs evaluates spec.verification.args. As in Kargo they see
// ctx.project, ctx.stage and the Stage's vars, and the Freight functions
// (imageFrom, commitFrom, chartFrom...) search the current Freight.
func (r *Reconciler) verificationArgs(ctx context.Context, st *railyard.Stage, cur *railyard.FreightCollection) ([]railyard.AnalysisRunArgument, error) {
	if len(st.Spec.Verification.Args) == 0 {
		return nil, nil
	}
	vars := map[string]any{}
	env := &expr.Env{
		Variables: map[string]any{"ctx": map[string]any{"project": st.Namespace, "stage": st.Name}, "vars": vars},
		Freight:   *cur,
		Data:      expr.ClientLookup{Reader: r.APIReader, Namespace: st.Namespace},
		Objects:   expr.ClientObjects{Reader: r.APIReader, Namespace: st.Namespace},
	}
	for _, v := range st.Spec.Vars {
		val, err := expr.EvaluateString(ctx, v.Value, env)
		if err != nil {
			return nil, fmt.Errorf("evaluating var %q for the verification: %w", v.Name, err)
		}
		vars[v.Name] = val
	}
	out := make([]railyard.AnalysisRunArgument, 0, len(st.Spec.Verification.Args))
	for _, a := range st.Spec.Verification.Args {
		val, err := expr.EvaluateString(ctx, a.Value, env)
		if err != nil {
			return nil, fmt.Errorf("evaluating verification argument %q: %w", a.Name, err)
		}
		out = append(out, railyard.AnalysisRunArgument{Name: a.Name, Value: argString(val)})
	}
	return out, nil
}

func argString(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// markVerified records in every Freight of the collection that it is
// verified in the Stage (written by flushFreight, before the Stage status),
// and emits the FreightVerified Event with message once that is written.
func (r *Reconciler) markVerified(sc *scope, cur *railyard.FreightCollection, at metav1.Time, message string) {
	st := sc.stage
	for _, ref := range cur.Freight {
		sc.freight.add(ref.Name, func(f *railyard.Freight) {
			freight.MarkVerified(f, st.Name, at)
		})
	}
	sc.freight.after = append(sc.freight.after, func() {
		r.events().Normal(st, railyard.EventFreightVerified, message)
	})
}

// isVerified: as in Kargo, a collection with one successful verification is
// verified, whatever re-verifications since then say.
func isVerified(c *railyard.FreightCollection) bool {
	for _, v := range c.VerificationHistory {
		if v.Phase == railyard.VerificationPhaseSuccessful {
			return true
		}
	}
	return false
}

// currentVerification is the newest verification of the collection (the
// history is newest first).
func currentVerification(c *railyard.FreightCollection) *railyard.VerificationInfo {
	if len(c.VerificationHistory) == 0 {
		return nil
	}
	return &c.VerificationHistory[0]
}

// pushVerification puts vi first, replacing an entry with its ID.
func pushVerification(c *railyard.FreightCollection, vi railyard.VerificationInfo) {
	for i := range c.VerificationHistory {
		if c.VerificationHistory[i].ID == vi.ID {
			c.VerificationHistory = append(c.VerificationHistory[:i], c.VerificationHistory[i+1:]...)
			break
		}
	}
	c.VerificationHistory = append([]railyard.VerificationInfo{vi}, c.VerificationHistory...)
	if len(c.VerificationHistory) > maxVerificationHistory {
		c.VerificationHistory = c.VerificationHistory[:maxVerificationHistory]
	}
}

func newVerificationID() string { return strings.ToLower(ulid.Make().String()) }

func freightNames(c *railyard.FreightCollection) []string {
	names := make([]string, 0, len(c.Freight))
	for _, ref := range c.Freight {
		names = append(names, ref.Name)
	}
	slices.Sort(names)
	return names
}

func runName(vi *railyard.VerificationInfo) string {
	if vi.AnalysisRun == nil {
		return ""
	}
	return vi.AnalysisRun.Name
}

// verificationMessage is the Verified condition's message for a
// verification that did not succeed: the run, its phase and Argo Rollouts'
// message.
func verificationMessage(vi *railyard.VerificationInfo) string {
	msg := vi.Message
	if vi.AnalysisRun == nil {
		if msg == "" {
			msg = "verification " + strings.ToLower(string(vi.Phase))
		}
		return msg
	}
	s := fmt.Sprintf("AnalysisRun %s: %s", vi.AnalysisRun.Name, vi.Phase)
	if msg != "" {
		s += ": " + msg
	}
	return s
}
