package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// genericWarehouses are what the generic receiver's selectors pick from.
func genericWarehouses() []railyard.Warehouse {
	whs := []railyard.Warehouse{
		warehouse("config", gitSub("https://github.com/acme/deploy-config")),
		warehouse("api", imageSub("ghcr.io/acme/api")),
		warehouse("web", imageSub("ghcr.io/acme/web")),
	}
	whs[1].Labels = map[string]string{"tier": "backend", "env": "prod"}
	whs[2].Labels = map[string]string{"tier": "frontend", "env": "prod"}
	return whs
}

type genericResult struct {
	Results []struct {
		Action                string `json:"action"`
		MatchedWhenExpression bool   `json:"matchedWhenExpression"`
		SelectedTargets       []struct {
			Namespace, Name string
			Success         bool
		} `json:"selectedTargets"`
		Result  string `json:"result"`
		Summary string `json:"summary"`
	} `json:"results"`
	Message string `json:"message"`
}

// postGeneric delivers body to a generic receiver with actions and returns
// the status, the reply, the Warehouses refreshed and the logs.
func postGeneric(t *testing.T, actions []railyard.GenericWebhookAction, body string, refreshErr error, header ...string) (int, genericResult, []string, string) {
	t.Helper()
	var logs bytes.Buffer
	var refreshed []string
	rcv := &Receiver{
		Project: "kargo-demo", Name: "generic-receiver", Provider: providers["generic"],
		Secret:     map[string][]byte{"secret": []byte(testSecret)},
		Warehouses: func(context.Context) ([]railyard.Warehouse, error) { return genericWarehouses(), nil },
		Config: railyard.WebhookReceiverConfig{Name: "generic-receiver", Generic: &railyard.WebhookReceiverDetails{
			Actions: actions,
		}},
	}
	h := &Handler{
		Lookup: func(context.Context, string) (*Receiver, bool, error) { return rcv, true, nil },
		Refresh: func(_ context.Context, ws []types.NamespacedName) error {
			for _, w := range ws {
				if refreshErr != nil && w.Name == "web" {
					return refreshErr
				}
				refreshed = append(refreshed, w.Name)
			}
			return nil
		},
		Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	req := httptest.NewRequest(http.MethodPost, "/generic/abc?env=prod", strings.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if strings.Contains(rec.Body.String(), testSecret) || strings.Contains(logs.String(), testSecret) {
		t.Fatalf("secret leaked:\n%s\n%s", rec.Body.String(), logs.String())
	}
	var r genericResult
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("reply is not JSON: %q", rec.Body.String())
	}
	return rec.Code, r, refreshed, logs.String()
}

func refreshAction(when string, criteria ...railyard.GenericWebhookTargetSelectionCriteria) railyard.GenericWebhookAction {
	return railyard.GenericWebhookAction{ActionType: railyard.GenericWebhookActionRefresh, WhenExpression: when, TargetSelectionCriteria: criteria}
}

func byName(n string) railyard.GenericWebhookTargetSelectionCriteria {
	return railyard.GenericWebhookTargetSelectionCriteria{Kind: railyard.GenericWebhookTargetWarehouse, Name: n}
}

func byIndex(op railyard.IndexSelectorOperator, v string) railyard.GenericWebhookTargetSelectionCriteria {
	return railyard.GenericWebhookTargetSelectionCriteria{Kind: railyard.GenericWebhookTargetWarehouse,
		IndexSelector: railyard.IndexSelector{MatchIndices: []railyard.IndexSelectorRequirement{{Key: "subscribedURLs", Operator: op, Value: v}}}}
}

func byLabels(ls metav1.LabelSelector) railyard.GenericWebhookTargetSelectionCriteria {
	return railyard.GenericWebhookTargetSelectionCriteria{Kind: railyard.GenericWebhookTargetWarehouse, LabelSelector: ls}
}

func TestGeneric(t *testing.T) {
	push := `request.header("X-Event-Type") == "push"`
	cases := []struct {
		name       string
		actions    []railyard.GenericWebhookAction
		body       string
		header     []string
		refreshErr error
		wantCode   int
		want       []string // Warehouses refreshed
		wantResult []string // per action
		wantInMsg  string   // in some summary
	}{
		{"static name, when true", []railyard.GenericWebhookAction{refreshAction(push, byName("config"))}, "{}", []string{"X-Event-Type", "push"}, nil,
			200, []string{"config"}, []string{resultSuccess}, "Refreshed 1 of 1"},
		{"when false", []railyard.GenericWebhookAction{refreshAction(push, byName("config"))}, "{}", []string{"X-Event-Type", "ping"}, nil,
			200, nil, []string{resultNotApplicable}, "did not match"},
		{"no whenExpression runs", []railyard.GenericWebhookAction{refreshAction("", byName("api"))}, "", nil, nil,
			200, []string{"api"}, []string{resultSuccess}, ""},
		{"name from body", []railyard.GenericWebhookAction{refreshAction("request.body.event == 'push'", byName("${{ request.body.warehouse }}"))}, "@push.json", nil, nil,
			200, []string{"config"}, []string{resultSuccess}, ""},
		{"missing body field reads nil", []railyard.GenericWebhookAction{refreshAction("request.body.nothing == 'x'", byName("config"))}, "@push.json", nil, nil,
			200, nil, []string{resultNotApplicable}, ""},
		{"index on normalised git URL", []railyard.GenericWebhookAction{refreshAction("", byIndex(railyard.IndexSelectorEquals, "${{ normalizeGit(request.body.repository.url) }}"))}, "@push.json", nil, nil,
			200, []string{"config"}, []string{resultSuccess}, ""},
		{"index on image, literal spelling", []railyard.GenericWebhookAction{refreshAction("", byIndex(railyard.IndexSelectorEquals, "ghcr.io/acme/api"))}, "{}", nil, nil,
			200, []string{"api"}, []string{resultSuccess}, ""},
		{"index NotEquals", []railyard.GenericWebhookAction{refreshAction("", byIndex(railyard.IndexSelectorNotEquals, "${{ normalizeImage(request.body.image) }}"))}, "@push.json", nil, nil,
			200, []string{"config", "web"}, []string{resultSuccess}, ""},
		{"labels from params and query", []railyard.GenericWebhookAction{{
			ActionType: railyard.GenericWebhookActionRefresh,
			Parameters: map[string]string{"tier": "${{ request.body.tier }}"},
			TargetSelectionCriteria: []railyard.GenericWebhookTargetSelectionCriteria{byLabels(metav1.LabelSelector{
				MatchLabels:      map[string]string{"tier": "${{ params.tier }}"},
				MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "env", Operator: metav1.LabelSelectorOpIn, Values: []string{"${{ request.params('env') }}"}}},
			})},
		}}, "@push.json", nil, nil, 200, []string{"api"}, []string{resultSuccess}, ""},
		{"criteria ANDed within, ORed across", []railyard.GenericWebhookAction{refreshAction("",
			railyard.GenericWebhookTargetSelectionCriteria{Kind: railyard.GenericWebhookTargetWarehouse, Name: "web",
				LabelSelector: metav1.LabelSelector{MatchLabels: map[string]string{"tier": "backend"}}},
			byName("config"), byName("config"))}, "{}", nil, nil,
			200, []string{"config"}, []string{resultSuccess}, ""},
		{"headers() sees every value", []railyard.GenericWebhookAction{refreshAction(`"b" in request.headers("X-Tag")`, byName("web"))}, "{}", []string{"X-Tag", "a", "X-Tag", "b"}, nil,
			200, []string{"web"}, []string{resultSuccess}, ""},
		{"nothing selected", []railyard.GenericWebhookAction{refreshAction("", byName("nope"))}, "{}", nil, nil,
			200, nil, []string{resultSuccess}, "0 of 0"},
		{"two actions", []railyard.GenericWebhookAction{refreshAction("false", byName("api")), refreshAction("true", byName("web"))}, "{}", nil, nil,
			200, []string{"web"}, []string{resultNotApplicable, resultSuccess}, ""},
		{"whenExpression does not compile", []railyard.GenericWebhookAction{refreshAction("request.header(", byName("api"))}, "{}", nil, nil,
			500, nil, []string{resultError}, "does not compile"},
		{"whenExpression not a bool", []railyard.GenericWebhookAction{refreshAction("request.body", byName("api"))}, "{}", nil, nil,
			500, nil, []string{resultError}, "not a bool"},
		{"unknown name in expression", []railyard.GenericWebhookAction{refreshAction("secret('x') == ''", byName("api"))}, "{}", nil, nil,
			500, nil, []string{resultError}, "whenExpression"},
		{"name expression unclosed", []railyard.GenericWebhookAction{refreshAction("", byName("${{ request.body.warehouse"))}, "{}", nil, nil,
			500, nil, []string{resultError}, "targetSelectionCriteria"},
		{"name expression yields nil", []railyard.GenericWebhookAction{refreshAction("", byName("${{ request.body.warehouse }}"))}, "{}", nil, nil,
			500, nil, []string{resultError}, "yields nil"},
		{"receiverPaths does not apply", []railyard.GenericWebhookAction{refreshAction("", railyard.GenericWebhookTargetSelectionCriteria{Kind: railyard.GenericWebhookTargetWarehouse,
			IndexSelector: railyard.IndexSelector{MatchIndices: []railyard.IndexSelectorRequirement{{Key: "receiverPaths", Operator: railyard.IndexSelectorEquals, Value: "x"}}}})}, "{}", nil, nil,
			500, nil, []string{resultError}, "receiverPaths"},
		{"partial refresh failure", []railyard.GenericWebhookAction{refreshAction("", byLabels(metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}}))}, "{}", nil, errors.New("conflict"),
			500, []string{"api"}, []string{resultPartialSuccess}, "1 of 2"},
		{"no actions", nil, "{}", nil, nil, 200, nil, []string{}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := c.body
			if f, ok := strings.CutPrefix(body, "@"); ok {
				body = string(readTestdata(t, "generic/"+f))
			}
			code, r, refreshed, logs := postGeneric(t, c.actions, body, c.refreshErr, c.header...)
			if code != c.wantCode {
				t.Fatalf("status %d, want %d: %+v", code, c.wantCode, r)
			}
			if !reflect.DeepEqual(refreshed, c.want) {
				t.Fatalf("refreshed %v, want %v", refreshed, c.want)
			}
			var results []string
			summaries := ""
			for _, a := range r.Results {
				results = append(results, a.Result)
				summaries += a.Summary + "\n"
			}
			if len(results) != len(c.wantResult) || (len(results) > 0 && !reflect.DeepEqual(results, c.wantResult)) {
				t.Fatalf("results %v, want %v", results, c.wantResult)
			}
			if !strings.Contains(summaries, c.wantInMsg) {
				t.Fatalf("summaries %q lack %q", summaries, c.wantInMsg)
			}
			if logs == "" {
				t.Fatal("nothing logged")
			}
		})
	}
}

func TestGenericRejectsNonJSONBody(t *testing.T) {
	code, r, refreshed, _ := postGeneric(t, []railyard.GenericWebhookAction{refreshAction("", byName("api"))}, "not json", nil)
	if code != http.StatusBadRequest || refreshed != nil || !strings.Contains(r.Message, "not JSON") {
		t.Fatalf("status %d %+v refreshed %v", code, r, refreshed)
	}
}
