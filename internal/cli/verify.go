package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func newVerifyStageCommand(opts *Options) *cobra.Command {
	var abort bool
	cmd := &cobra.Command{
		Use:   "stage NAME",
		Short: "Verify a Stage's current Freight again, or abort its running verification",
		Long: "Re-verification sets the railyard.dev/reverify annotation to the ID of the Stage's last\n" +
			"verification (which must have finished) and the user who asked; the Stage controller then\n" +
			"starts a new Argo Rollouts AnalysisRun and records that user as its actor. With --abort,\n" +
			"sets railyard.dev/abort to the ID of the running verification; the controller terminates\n" +
			"its AnalysisRun and records it Aborted. Kargo's kargo.akuity.io/reverify and\n" +
			"kargo.akuity.io/abort annotations work the same way.",
		Example: "  railyard verify stage staging -n demo\n  railyard verify stage staging --abort -n demo",
		Args:    exactArgs(1, "the name of a Stage"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return verifyStage(cmd.Context(), opts, args[0], abort)
		},
	}
	cmd.Flags().BoolVar(&abort, "abort", false, "abort the running verification instead")
	return cmd
}

func verifyStage(ctx context.Context, opts *Options, name string, abort bool) error {
	c, ns, err := opts.Client()
	if err != nil {
		return err
	}
	var st railyard.Stage
	if err := getOrList(ctx, c, ns, name, "Stage", &st, &railyard.StageList{}); err != nil {
		return err
	}
	if len(st.Status.FreightHistory) == 0 {
		return fmt.Errorf("stage %s has no Freight to verify", name)
	}
	history := st.Status.FreightHistory[0].VerificationHistory
	if len(history) == 0 {
		return fmt.Errorf("stage %s has not verified its current Freight yet; nothing to %s", name, map[bool]string{true: "abort", false: "verify again"}[abort])
	}
	last := history[0]
	running := last.Phase == railyard.VerificationPhasePending || last.Phase == railyard.VerificationPhaseRunning
	key, verb := railyard.AnnotationReverify, "re-verification"
	switch {
	case abort && !running:
		_, _ = fmt.Fprintf(opts.Out, "stage/%s: verification %s already finished (%s); nothing to abort\n", name, last.ID, last.Phase)
		return nil
	case abort:
		key, verb = railyard.AnnotationAbort, "abort of verification "+last.ID
	case running:
		return errors.New("stage " + name + ": verification " + last.ID + " is still " + string(last.Phase) + "; wait for it or abort it with --abort")
	}
	// Kargo's request format: the verification's ID and who asked, which
	// the Stage records as the verification's actor.
	req := railyard.VerificationRequest{ID: last.ID, Actor: whoAmI(ctx, c), ControlPlane: true}
	if err := patchAnnotation(ctx, c, &st, key, req.String()); err != nil {
		return explain(err, "patch", "stages", name, ns)
	}
	_, _ = fmt.Fprintf(opts.Out, "stage/%s %s requested\n", name, verb)
	return nil
}
