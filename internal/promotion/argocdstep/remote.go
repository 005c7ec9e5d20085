package argocdstep

import (
	"fmt"
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// onArgoCDCluster returns sc with its client replaced by the remote Argo CD
// cluster's when remote is set (--argocd-kubeconfig), or why that cluster
// cannot be used (see waitForArgoCD).
func onArgoCDCluster(remote *argocd.Remote, sc *promotion.StepContext) (*promotion.StepContext, error) {
	if remote == nil {
		return sc, nil
	}
	c, err := remote.Client()
	if err != nil {
		return nil, fmt.Errorf("reaching Argo CD's Applications: %w", err)
	}
	remoteSC := *sc
	remoteSC.Client = c
	return &remoteSC, nil
}

// waitForArgoCD keeps a step Running while the remote Argo CD cluster
// cannot be used, looking again after retryAfter: an outage shorter than
// the step's timeout (5 minutes by default) does not fail the Promotion,
// and a longer one fails it with the reason ("not finished after 5m0s:
// ..."). An error instead would spend the step's error threshold within a
// second, since every status write wakes the Promotion again.
func waitForArgoCD(err error, retryAfter time.Duration) (promotion.Result, error) {
	return promotion.Result{Status: railyard.StepStatusRunning, Message: err.Error(), RetryAfter: retryAfter}, nil
}
