package stage

import (
	"strings"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// lastPromotionMessage is the Ready message of a Stage whose last
// Promotion did not succeed: what happened, without repeating the phase
// the Promotion's own message starts with, and how to recover. A Promotion
// stopped half-way (aborted during argocd-update, say) leaves the Stage
// between two Freight, often Unhealthy; the message names the Freight to
// promote again.
func lastPromotionMessage(st *railyard.Stage) string {
	last := st.Status.LastPromotion
	phase := string(last.Status.Phase)
	msg := strings.TrimSpace(last.Status.Message)
	if len(msg) >= len(phase) && strings.EqualFold(msg[:len(phase)], phase) {
		msg = strings.TrimSpace(strings.TrimPrefix(msg[len(phase):], ":"))
	}
	var b strings.Builder
	b.WriteString("Promotion " + last.Name + " " + phase)
	if msg != "" {
		b.WriteString(": " + msg)
	}
	if h := st.Status.Health; h != nil && h.Status == railyard.HealthStateUnhealthy {
		b.WriteString("; the Stage is Unhealthy (" + issues(h) + ")")
	}
	f := last.Freight
	if f == nil && last.Status.Freight != nil {
		f = last.Status.Freight
	}
	if f == nil || f.Name == "" {
		b.WriteString("; to recover, promote Freight to the Stage again")
		return b.String()
	}
	b.WriteString("; to recover, promote Freight " + f.Name + " again (railyard promote --stage " + st.Name + " --freight " + f.Name + ")")
	if len(st.Status.FreightHistory) > 0 {
		if cur, ok := st.Status.FreightHistory[0].Freight[f.Origin.String()]; ok && cur.Name != f.Name {
			b.WriteString(" or go back to " + cur.Name + " (--freight " + cur.Name + ")")
		}
	}
	return b.String()
}
