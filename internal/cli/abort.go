package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	authenticationv1 "k8s.io/api/authentication/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// whoAmI returns the user name the API server knows the CLI as, or "" when
// it cannot tell (SelfSubjectReview not served or refused): the actor is a
// courtesy, never a reason to fail an abort.
func whoAmI(ctx context.Context, c client.Client) string {
	review := &authenticationv1.SelfSubjectReview{}
	if err := c.Create(ctx, review); err != nil {
		return ""
	}
	return review.Status.UserInfo.Username
}

func newAbortPromotionCommand(opts *Options) *cobra.Command {
	return &cobra.Command{
		Use:     "promotion NAME",
		Short:   "Abort a Promotion that has not finished",
		Long:    "Sets the railyard.dev/abort annotation; the controller stops the running step and marks the Promotion Aborted.",
		Example: "  railyard abort promotion staging.01j9zq3kx5e8v6d2c4b7a9m1n0.1a2b3c4 -n demo",
		Args:    exactArgs(1, "the name of a Promotion"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return abortPromotion(cmd.Context(), opts, args[0])
		},
	}
}

func abortPromotion(ctx context.Context, opts *Options, name string) error {
	c, ns, err := opts.Client()
	if err != nil {
		return err
	}
	var promo railyard.Promotion
	if err := getOrList(ctx, c, ns, name, "Promotion", &promo, &railyard.PromotionList{}); err != nil {
		return err
	}
	if promo.Status.Phase.IsTerminal() {
		_, _ = fmt.Fprintf(opts.Out, "promotion/%s already finished (%s); nothing to abort\n", name, promo.Status.Phase)
		return nil
	}
	// The actor, when known, lets the Promotion say who aborted it.
	value := railyard.AbortPromotionRequest{Action: railyard.AbortActionTerminate, Actor: whoAmI(ctx, c)}.String()
	if err := patchAnnotation(ctx, c, &promo, railyard.AnnotationAbort, value); err != nil {
		return explain(err, "patch", "promotions", name, ns)
	}
	_, _ = fmt.Fprintf(opts.Out, "promotion/%s abort requested\n", name)
	return nil
}
