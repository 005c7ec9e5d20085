package warehouse_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/warehouse"
	"github.com/railyard-dev/railyard/internal/git/gittest"
)

// A registry, chart repository or git server that accepts connections and
// then never answers makes the Warehouse show a failing condition and a
// lastError naming the server, by the discovery timeout (shortened to
// testDiscoveryTimeout here) instead of minutes later or never.
func TestFrozenServersShowAsFailing(t *testing.T) {
	if warehouse.DefaultDiscoveryTimeout > 30*time.Second {
		t.Errorf("DefaultDiscoveryTimeout = %s; a frozen server must show within 30s", warehouse.DefaultDiscoveryTimeout)
	}
	tests := []struct {
		name string
		sub  func(addr string) railyard.RepoSubscription
	}{
		{"registry", func(addr string) railyard.RepoSubscription {
			return railyard.RepoSubscription{Image: &railyard.ImageSubscription{RepoURL: addr + "/app"}}
		}},
		{"git server", func(addr string) railyard.RepoSubscription {
			return railyard.RepoSubscription{Git: &railyard.GitSubscription{RepoURL: "http://" + addr + "/app.git"}}
		}},
		{"chart repository", func(addr string) railyard.RepoSubscription {
			return railyard.RepoSubscription{Chart: &railyard.ChartSubscription{RepoURL: "http://" + addr + "/charts", Name: "app"}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := gittest.NewFreezer(t, "")
			ns := newNamespace(t)
			create(t, &railyard.Warehouse{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "frozen"},
				Spec:       railyard.WarehouseSpec{Subscriptions: []railyard.RepoSubscription{tt.sub(f.Addr)}},
			})
			w := waitCondition(t, ns, "frozen", railyard.ConditionHealthy, metav1.ConditionFalse, railyard.ReasonDiscoveryFailed)
			if msg := condition(w, railyard.ConditionHealthy).Message; !containsAll(msg, f.Addr, "no answer within "+testDiscoveryTimeout.String()) {
				t.Errorf("Healthy message %q does not name the server %s and the timeout", msg, f.Addr)
			}
			if subs := w.Status.Subscriptions; len(subs) != 1 || !strings.Contains(subs[0].LastError, f.Addr) {
				t.Errorf("subscriptions %+v: want a lastError naming %s", subs, f.Addr)
			}
		})
	}
}

// Credentials embedded in repoURLs appear nowhere in the Warehouse's status
// (subscriptions, artifacts, conditions) or Events.
func TestCredentialsInURLsAreNeverShown(t *testing.T) {
	secrets := []string{"s3cret-pass", "t0ken-value", "31337/t0ken"}
	ns := newNamespace(t)
	// The CRD's patterns refuse userinfo in http(s), scp-like, image and
	// chart URLs, so those never reach the controller...
	refused := &railyard.Warehouse{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "refused"},
		Spec: railyard.WarehouseSpec{Subscriptions: []railyard.RepoSubscription{
			{Git: &railyard.GitSubscription{RepoURL: "https://user:t0ken-value@git.example.com/org/repo.git"}},
		}},
	}
	if err := k.Create(context.Background(), refused); err == nil {
		t.Errorf("the API accepted an https repoURL with a password; this test must then cover it")
	}
	// ...but ssh URLs, and an https password holding a '/', pass them.
	create(t, &railyard.Warehouse{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "leaky"},
		Spec: railyard.WarehouseSpec{Subscriptions: []railyard.RepoSubscription{
			{Git: &railyard.GitSubscription{RepoURL: "ssh://user:s3cret-pass@git.example.com/org/repo.git"}},
			{Git: &railyard.GitSubscription{RepoURL: "ssh://user:t0ken-value@127.0.0.1:1/org/repo.git"}},
			{Git: &railyard.GitSubscription{RepoURL: "https://user:31337/t0ken@git.example.com/org/repo.git"}},
		}},
	})
	w := waitCondition(t, ns, "leaky", railyard.ConditionHealthy, metav1.ConditionFalse, railyard.ReasonInvalidSpec)
	eventually(t, func() error {
		if !hasEvent(t, ns, "leaky", "DiscoveryFailed") {
			return errNotYet("DiscoveryFailed Event")
		}
		return nil
	})
	status, err := json.Marshal(w.Status)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Status.Subscriptions) != 3 || len(w.Status.Conditions) == 0 {
		t.Fatalf("status lacks what this test scans: %s", status)
	}
	var events eventsv1.EventList
	if err := k.List(context.Background(), &events, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	texts := map[string]string{"status": string(status)}
	for _, e := range events.Items {
		texts["Event "+e.Reason] = e.Note
	}
	for where, text := range texts {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s shows the secret %q: %s", where, s, text)
			}
		}
	}
	if !strings.Contains(string(status), "ssh://redacted@git.example.com/org/repo.git") {
		t.Errorf("status does not name the repository in redacted form: %s", status)
	}
}

type errNotYet string

func (e errNotYet) Error() string { return "waiting for " + string(e) }
