package argocdstep

import (
	"fmt"

	"github.com/railyard-dev/railyard/internal/argocd"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// onArgoCDCluster returns sc with its client replaced by the remote Argo CD
// cluster's when remote is set (--argocd-kubeconfig). An unreachable
// cluster is an error the engine retries up to the step's error threshold,
// so a short outage does not fail the Promotion and a long one fails it
// with the reason.
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
