package demo

import (
	"context"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// watcher reports, while the interactive demo waits, the Freight and
// Promotions that appear, whoever made them.
type watcher struct {
	w       *world
	freight map[string]bool
	phases  map[string]railyard.PromotionPhase
}

func (v *watcher) run(ctx context.Context) {
	v.freight, v.phases = map[string]bool{}, map[string]railyard.PromotionPhase{}
	v.look(ctx, false) // what is there already was told
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			v.look(ctx, true)
		}
	}
}

func (v *watcher) look(ctx context.Context, tell bool) {
	c, say := v.w.env.Client, v.w.say
	freight := &railyard.FreightList{}
	if err := c.List(ctx, freight, client.InNamespace(projectName)); err != nil {
		return
	}
	byName := map[string]*railyard.Freight{}
	for i := range freight.Items {
		f := &freight.Items[i]
		byName[f.Name] = f
		if !v.freight[f.Name] && tell {
			say.step("New Freight %s: %s", aliasOf(f), describeFreight(f))
		}
		v.freight[f.Name] = true
	}
	promos := &railyard.PromotionList{}
	if err := c.List(ctx, promos, client.InNamespace(projectName)); err != nil {
		return
	}
	// Syncs are told after the Freight and Promotions behind them.
	defer say.release()
	for i := range promos.Items {
		p := &promos.Items[i]
		phase := p.Status.Phase
		if phase == v.phases[p.Name] {
			continue
		}
		v.phases[p.Name] = phase
		if !tell {
			continue
		}
		what := promotedFreight(p)
		if f := byName[what]; f != nil {
			what = aliasOf(f)
		}
		switch {
		case phase == railyard.PromotionPhaseRunning:
			say.step("Promotion %s of %s to %s is running", p.Name, orUpstream(what), p.Spec.Stage)
		case phase == railyard.PromotionPhaseSucceeded:
			say.step("Promotion %s of %s to %s succeeded", p.Name, what, p.Spec.Stage)
			if f := byName[promotedFreight(p)]; f != nil && len(f.Images) > 0 {
				branch := stageBranch(p.Spec.Stage)
				if m, err := v.w.git.readFile(gitopsRepo, branch, "manifests.yaml"); err == nil {
					say.detail("commit %s on %s renders %q", short(v.w.git.head(gitopsRepo, branch)), branch, imageLine(m, v.w.image+":"+f.Images[0].Tag))
				}
			}
		case phase.IsTerminal():
			say.step("Promotion %s of %s to %s ended %s: %s", p.Name, what, p.Spec.Stage, phase, p.Status.Message)
		}
	}
}

func orUpstream(freightName string) string {
	if freightName == "" {
		return "Freight from upstream"
	}
	return freightName
}
