package actions

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

const ns = "titiler"

var origin = railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "app"}

// stage is a Stage requesting Freight of origin directly (no upstream) or
// from the upstream Stages named.
func stage(name string, upstream ...string) railyard.Stage {
	st := railyard.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	st.Spec.RequestedFreight = []railyard.FreightRequest{{
		Origin: origin, Sources: railyard.FreightSources{Direct: len(upstream) == 0, Stages: upstream},
	}}
	return st
}

// running makes st run Freight name (with image app:tag) now.
func running(st railyard.Stage, name, tag string) railyard.Stage {
	st.Status.FreightHistory = []railyard.FreightCollection{{Freight: map[string]railyard.FreightReference{
		origin.String(): {Name: name, Origin: origin, Images: []railyard.Image{{RepoURL: "ghcr.io/example/app", Tag: tag}}},
	}}}
	return st
}

// fr is Freight of origin discovered at t, with an alias.
func fr(name, alias string, t time.Time) railyard.Freight {
	return railyard.Freight{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Alias:      alias, Origin: origin, DiscoveredAt: &metav1.Time{Time: t},
	}
}

func promo(name, stage string, phase railyard.PromotionPhase, created time.Time) railyard.Promotion {
	p := railyard.Promotion{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, CreationTimestamp: metav1.Time{Time: created}}}
	p.Spec.Stage = stage
	p.Status.Phase = phase
	return p
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
