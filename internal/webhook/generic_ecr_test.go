package webhook

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/types"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"sigs.k8s.io/yaml"
)

// TestGenericECRRecipe runs the generic receiver exactly as
// docs/webhook-receivers.md configures it for EventBridge's ECR events.
func TestGenericECRRecipe(t *testing.T) {
	const recipe = `
- action: Refresh
  whenExpression: request.body["detail-type"] == "ECR Image Action" && request.body.detail["action-type"] == "PUSH"
  targetSelectionCriteria:
  - kind: Warehouse
    indexSelector:
      matchIndices:
      - key: subscribedURLs
        operator: Equals
        value: ${{ normalizeImage(request.body.account + ".dkr.ecr." + request.body.region + ".amazonaws.com/" + request.body.detail["repository-name"]) }}
`
	var actions []railyard.GenericWebhookAction
	if err := yaml.UnmarshalStrict([]byte(recipe), &actions); err != nil {
		t.Fatal(err)
	}
	push, err := os.ReadFile("testdata/ecr/push.json")
	if err != nil {
		t.Fatal(err)
	}
	del, err := os.ReadFile("testdata/ecr/delete.json")
	if err != nil {
		t.Fatal(err)
	}
	whs := []railyard.Warehouse{
		warehouse("ecr-api", imageSub("123456789012.dkr.ecr.us-west-2.amazonaws.com/platform/api")),
		warehouse("other", imageSub("123456789012.dkr.ecr.us-west-2.amazonaws.com/platform/web")),
	}
	for _, tc := range []struct {
		name string
		body []byte
		want []string
	}{{"push", push, []string{"ecr-api"}}, {"delete", del, nil}} {
		t.Run(tc.name, func(t *testing.T) {
			var refreshed []string
			rcv := &Receiver{
				Project: "kargo-demo", Name: "ecr-generic", Provider: providers["generic"],
				Secret:     map[string][]byte{"secret": []byte(testSecret)},
				Warehouses: func(context.Context) ([]railyard.Warehouse, error) { return whs, nil },
				Config:     railyard.WebhookReceiverConfig{Name: "ecr-generic", Generic: &railyard.WebhookReceiverDetails{Actions: actions}},
			}
			h := &Handler{
				Lookup: func(context.Context, string) (*Receiver, bool, error) { return rcv, true, nil },
				Refresh: func(_ context.Context, ws []types.NamespacedName) error {
					for _, w := range ws {
						refreshed = append(refreshed, w.Name)
					}
					return nil
				},
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/generic/abc", bytes.NewReader(tc.body)))
			if rec.Code != http.StatusOK || !reflect.DeepEqual(refreshed, tc.want) {
				t.Fatalf("status %d, refreshed %v, want %v; reply %s", rec.Code, refreshed, tc.want, rec.Body)
			}
		})
	}
}
