package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// ErrPromotionFailed is returned by promote --wait when the Promotion ends
// Failed, Errored or Aborted.
var ErrPromotionFailed = errors.New("promotion did not succeed")

// followPromotion prints each step as its status changes until the
// Promotion reaches a terminal phase. what names the Freight and Stage for
// the final line. promo is left as last read.
func followPromotion(ctx context.Context, opts *Options, c client.Client, promo *railyard.Promotion, what string, timeout time.Duration) error {
	key := client.ObjectKeyFromObject(promo)
	var lastPhase railyard.PromotionPhase
	seen := map[int]railyard.StepExecutionMetadata{}
	err := poll(ctx, opts.PollInterval, timeout, func() (bool, error) {
		if err := c.Get(ctx, key, promo); err != nil {
			return false, explain(err, "get", "promotions", key.Name, key.Namespace)
		}
		st := promo.Status
		// A terminal phase is printed after the steps that led to it, any
		// other before the steps it starts.
		if st.Phase != lastPhase && st.Phase != "" && !st.Phase.IsTerminal() {
			_, _ = fmt.Fprintf(opts.Out, "promotion/%s %s\n", promo.Name, st.Phase)
			lastPhase = st.Phase
		}
		total := max(len(promo.Spec.Steps), len(st.StepExecutionMetadata))
		for i, s := range st.StepExecutionMetadata {
			prev, ok := seen[i]
			if ok && prev.Status == s.Status && prev.Message == s.Message && prev.ErrorCount == s.ErrorCount {
				continue
			}
			seen[i] = s
			stepLine(opts.Out, i, total, s)
		}
		if st.Phase.IsTerminal() {
			_, _ = fmt.Fprintf(opts.Out, "promotion/%s %s: %s\n", promo.Name, st.Phase, what)
		}
		return st.Phase.IsTerminal(), nil
	})
	if errors.Is(err, ErrTimeout) {
		return fmt.Errorf("promotion/%s is still %s after %s; follow it with 'kubectl get promotion %s -n %s -w' (is the Railyard manager running?)",
			key.Name, orDash(string(promo.Status.Phase)), timeout, key.Name, key.Namespace)
	}
	if err != nil {
		return err
	}
	if promo.Status.Phase == railyard.PromotionPhaseSucceeded {
		return nil
	}
	return promotionFailure(promo)
}

// promotionFailure names the step that failed and its message.
func promotionFailure(promo *railyard.Promotion) error {
	st := promo.Status
	for i := len(st.StepExecutionMetadata) - 1; i >= 0; i-- {
		s := st.StepExecutionMetadata[i]
		switch s.Status {
		case railyard.StepStatusFailed, railyard.StepStatusErrored, railyard.StepStatusAborted:
			return fmt.Errorf("%w: promotion/%s %s: step %d (%s) %s: %s", ErrPromotionFailed, promo.Name, st.Phase, i+1, orDash(s.Alias), s.Status, orDash(s.Message))
		}
	}
	return fmt.Errorf("%w: promotion/%s %s: %s", ErrPromotionFailed, promo.Name, st.Phase, orDash(st.Message))
}
