package webhook

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// failingBody fails the test if the handler reads it.
type failingBody struct{ t *testing.T }

func (b failingBody) Read([]byte) (int, error) {
	b.t.Error("body read before the rate limit")
	return 0, io.EOF
}

func TestHandlerLimit(t *testing.T) {
	cases := []struct {
		after time.Duration
		want  string
	}{
		{0, "1"}, {300 * time.Millisecond, "1"}, {time.Second, "1"}, {1500 * time.Millisecond, "2"}, {time.Minute, "60"},
	}
	for _, c := range cases {
		t.Run(c.after.String(), func(t *testing.T) {
			var asked *Receiver
			rcv := &Receiver{Project: "kargo-demo", Name: "r", Provider: providers["github"]}
			h := &Handler{
				Lookup:  func(context.Context, string) (*Receiver, bool, error) { return rcv, true, nil },
				Refresh: func(context.Context, []types.NamespacedName) error { t.Fatal("refresh called"); return nil },
				Limit: func(r *Receiver) (bool, time.Duration) {
					asked = r
					return false, c.after
				},
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/github/x", failingBody{t}))
			if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != c.want || asked != rcv {
				t.Fatalf("status %d Retry-After %q (want %q), asked %v", rec.Code, rec.Header().Get("Retry-After"), c.want, asked)
			}
		})
	}
}

func TestHandlerLimitAllows(t *testing.T) {
	f := newFixture(t)
	// The fixture has no limit; a limit that allows behaves the same.
	code, _ := f.post(t, "quay", "", readTestdata(t, "quay/repo_push.json"), "")
	if code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
}

// serve delivers body to a one-receiver Handler and returns the status and
// the Warehouses refreshed.
func serve(t *testing.T, rcv *Receiver, path string, body []byte, header ...string) (int, []types.NamespacedName) {
	t.Helper()
	var got []types.NamespacedName
	h := &Handler{
		Lookup: func(context.Context, string) (*Receiver, bool, error) { return rcv, true, nil },
		Refresh: func(_ context.Context, ws []types.NamespacedName) error {
			got = append(got, ws...)
			return nil
		},
		Limit: func(*Receiver) (bool, time.Duration) { return true, 0 },
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(body)))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var r response
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("reply is not JSON: %q", rec.Body.String())
	}
	return rec.Code, got
}

func TestArtifactoryVirtualRepoName(t *testing.T) {
	whs := []railyard.Warehouse{
		warehouse("via-local", imageSub("acme.jfrog.io/docker-local/platform/api")),
		warehouse("via-virtual", imageSub("acme.jfrog.io/docker/platform/api")),
	}
	body := readTestdata(t, "artifactory/docker_pushed.json")
	for _, c := range []struct{ virtual, want string }{{"", "via-local"}, {"docker", "via-virtual"}} {
		t.Run(c.want, func(t *testing.T) {
			rcv := &Receiver{
				Project: "kargo-demo", Name: "jfrog", Provider: providers["artifactory"],
				Secret:     map[string][]byte{"secret-token": []byte(testSecret)},
				Warehouses: func(context.Context) ([]railyard.Warehouse, error) { return whs, nil },
				Config: railyard.WebhookReceiverConfig{Name: "jfrog", Artifactory: &railyard.WebhookReceiverDetails{
					VirtualRepoName: c.virtual,
				}},
			}
			code, got := serve(t, rcv, "/artifactory/x", body, "X-Jfrog-Event-Auth", hmacHex(testSecret, body))
			want := []types.NamespacedName{{Namespace: "kargo-demo", Name: c.want}}
			if code != http.StatusOK || !reflect.DeepEqual(got, want) {
				t.Fatalf("status %d refreshed %v, want %v", code, got, want)
			}
		})
	}
}

func TestClusterWideReceiver(t *testing.T) {
	whs := []railyard.Warehouse{
		warehouse("api", imageSub("quay.io/acme/api")),
		{ObjectMeta: metav1.ObjectMeta{Namespace: "other-project", Name: "api"},
			Spec: railyard.WarehouseSpec{Subscriptions: []railyard.RepoSubscription{imageSub("quay.io/acme/api")}}},
	}
	rcv := &Receiver{
		Name: "quay", Provider: providers["quay"],
		Secret:     map[string][]byte{"secret": []byte(testSecret)},
		Warehouses: func(context.Context) ([]railyard.Warehouse, error) { return whs, nil },
	}
	code, got := serve(t, rcv, "/quay/x", readTestdata(t, "quay/repo_push.json"))
	want := []types.NamespacedName{{Namespace: "kargo-demo", Name: "api"}, {Namespace: "other-project", Name: "api"}}
	if code != http.StatusOK || !reflect.DeepEqual(got, want) {
		t.Fatalf("status %d refreshed %v, want %v", code, got, want)
	}
}
