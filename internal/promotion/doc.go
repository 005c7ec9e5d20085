// Package promotion runs the steps of a Promotion.
//
// # Calling the engine
//
// The Promotion reconciler owns one Engine, built at start-up:
//
//	eng := &promotion.Engine{
//		Registry:    steps.Registry(),      // built-in steps, plus compose-output
//		Client:      mgr.GetClient(),        // handed to steps (argocd-update)
//		Reader:      mgr.GetAPIReader(),     // tasks, secret(), configMap(): uncached
//		Credentials: credentialsProvider,
//		WorkRoot:    "",                     // os.TempDir()
//	}
//
// For the one Promotion a Stage allows to run, with status.freight and
// status.freightCollection already set, it calls:
//
//	outcome, err := eng.Run(ctx, promo, func(ctx context.Context, st *railyard.PromotionStatus) error {
//		return patchStatus(ctx, promo, st) // a status patch; see "Saving progress"
//	})
//
// Then:
//
//   - err != nil: transient (reading a task, patching status, ctx cancelled);
//     return it so the rate limiter retries. Progress already persisted is
//     kept; the next Run resumes from status.currentStep.
//   - outcome.Phase == Running: requeue after outcome.RequeueAfter.
//   - otherwise the phase is terminal (Succeeded, Failed, Errored) and
//     already persisted; the work directory has been removed. Update the
//     Stage from status.healthChecks and the Freight collection.
//
// Run may be called again at any time with the status the previous call
// persisted, also from another replica: all progress lives in status
// (currentStep, stepExecutionMetadata, state, healthChecks). If the work
// directory is missing while a run is under way, the steps start again from
// the first one; steps are idempotent, so that is safe.
//
// # Saving progress
//
// Run saves status when the Promotion starts running, when a step waits or
// will be retried, and at the end, as Kargo's engine saves once per
// reconcile: each save is an API write and a watch event for every
// controller watching Promotions. A crash between saves runs the steps
// since the last save again, which steps must bear anyway (a push of a
// commit the remote has changes nothing; Argo CD's sync is asked again).
// RunWith with RunOptions.HoldWait leaves a wait's progress unsaved in
// promo.Status (Outcome.Unsaved) for the caller to run again from or save:
// the Promotion reconciler holds it a few seconds, since most waits end
// sooner and the end's save then carries it.
//
// Abort marks the running step and the Promotion Aborted. Cleanup removes the
// work directory of a Promotion deleted while running.
//
// # Steps
//
// promo.Spec.Steps may still hold `task:` references: Run inlines them with
// InflateSteps on every call (aliases <task>::<step>, task inputs checked).
// Creators that want a snapshot immune to later task edits call InflateSteps
// when they create the Promotion.
//
// Each step runs in order, as in Kargo: a step without `if` is skipped once
// an earlier step failed (continueOnError aside); a step with `if` is always
// evaluated and runs when it yields true. A step's
// continueOnError keeps its failure from failing the Promotion. Retryable
// errors count toward retry.errorThreshold (default one, or the step's
// Defaults); TerminalErrors never retry; retry.timeout counts from the
// step's first start. A step returning Running is run again after its
// RetryAfter. The final phase comes from the worst step.
//
// # Variables and secrets
//
// Expressions (package expr) see ctx, vars (promotion vars, then step vars,
// later wins), outputs (status.state by alias) and, inside a task,
// task.outputs. compose-output's output is also merged under its task's
// alias. Evaluated configuration may contain secret() values: it is handed
// to the step and never persisted; only step outputs go to status.state, so
// steps must not echo secret configuration into their outputs.
package promotion
