package argocdstep

// argocd-update talks only to Argo CD (promotion.NoWorkDir): the engine
// may give the work directory up before it runs or while it waits.
func (Step) NoWorkDir() {}
