package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/git/gittest"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// kargoProject is written as a Kargo v1.11 user writes it; the test applies
// it after changing only apiVersion. The shared PromotionTask takes typed
// inputs as strings (Kargo re-parses "3" into 3), parses YAML into an
// output, updates YAML and JSON, asks an HTTP service, records metadata,
// reacts to a deliberate failure through status(), tags and pushes.
const kargoProject = `apiVersion: kargo.akuity.io/v1alpha1
kind: Project
metadata:
  name: kargo-shaped
`

const kargoWarehouseAndTask = `apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata:
  name: app
  namespace: kargo-shaped
spec:
  freightCreationPolicy: Manual
  subscriptions:
  - image:
      repoURL: 127.0.0.1:1/app
---
apiVersion: kargo.akuity.io/v1alpha1
kind: PromotionTask
metadata:
  name: update-config
  namespace: kargo-shaped
spec:
  vars:
  - name: replicas
  - name: debug
    value: "false"
  steps:
  - uses: yaml-parse
    as: current
    config:
      path: ./src/config/values.yaml
      outputs:
      - name: tag
        fromExpression: image.tag
  - uses: yaml-update
    as: values
    config:
      path: ./src/config/values.yaml
      updates:
      - key: replicas
        value: ${{ vars.replicas }}
      - key: debug
        value: ${{ vars.debug }}
      - key: image.tag
        value: ${{ imageFrom('127.0.0.1:1/app').Tag }}
  - uses: json-update
    as: app
    config:
      path: ./src/config/app.json
      updates:
      - key: previousTag
        value: ${{ task.outputs.current.tag }}
`

const kargoStage = `apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata:
  name: test
  namespace: kargo-shaped
spec:
  requestedFreight:
  - origin:
      kind: Warehouse
      name: app
    sources:
      direct: true
  promotionTemplate:
    spec:
      vars:
      - name: repo
        value: GITREPO
      steps:
      - uses: git-clone
        config:
          repoURL: ${{ vars.repo }}
          checkout:
          - branch: main
            path: ./src
      - task:
          name: update-config
        as: update
        vars:
        - name: replicas
          value: "3"
      - uses: http
        as: check
        config:
          url: HTTPURL
          successExpression: response.status == 200
          outputs:
          - name: version
            fromExpression: response.body.version
      - uses: fail
        as: boom
        continueOnError: true
        config:
          message: a deliberate failure
      - uses: set-metadata
        as: record
        if: ${{ status('boom') == 'Failed' }}
        config:
          updates:
          - kind: Stage
            name: ${{ ctx.stage }}
            values:
              checkedVersion: ${{ outputs.check.version }}
              sawFailure: true
      - uses: git-commit
        as: commit
        config:
          path: ./src
          message: ${{ outputs['update::values']?.commitMessage ?? 'update config' }}
      - uses: git-tag
        as: tag
        config:
          path: ./src
          tag: test-${{ ctx.targetFreight.name }}
          message: promoted to test
      - uses: git-push
        as: push
        config:
          path: ./src
          targetBranch: kargo/kargo-shaped/test
      - uses: git-push
        as: push-tag
        config:
          path: ./src
          tag: test-${{ ctx.targetFreight.name }}
`

// TestKargoShapedPipeline applies a Kargo user's manifests after changing
// only apiVersion and runs a promotion through the steps and expression
// semantics Kargo users rely on.
func TestKargoShapedPipeline(t *testing.T) {
	env, err := testenv.Start(testenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	ctx := context.Background()
	startManager(t, env, t.TempDir())

	git := gittest.NewServer(t, gittest.WithPush())
	repo := git.CreateRepo("config", map[string]string{
		"config/values.yaml": "image:\n  tag: v0.9.0\nreplicas: 1\ndebug: true\n",
		"config/app.json":    `{"name":"app","previousTag":""}`,
	})
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"version":"1.2.3","ok":true}`))
	}))
	t.Cleanup(svc.Close)

	apply := func(kargoYAML string) {
		t.Helper()
		y := strings.ReplaceAll(kargoYAML, "apiVersion: kargo.akuity.io/v1alpha1", "apiVersion: railyard.dev/v1alpha1")
		if _, err := env.Kubectl(ctx, strings.NewReader(y), "apply", "--server-side", "-f", "-"); err != nil {
			t.Fatal(err)
		}
	}
	apply(kargoProject)
	eventually(t, "the project namespace", func() (bool, string) {
		err := env.Client.Get(ctx, client.ObjectKey{Name: "kargo-shaped"}, &corev1.Namespace{})
		return err == nil, fmt.Sprint(err)
	})
	apply(kargoWarehouseAndTask)
	apply(strings.NewReplacer("GITREPO", repo.URL, "HTTPURL", svc.URL+"/version").Replace(kargoStage))

	const ns = "kargo-shaped"
	f := newFreight(t, env.Client, ns, "app", "v1.0.0")
	s := &semantics{t: t, ctx: ctx, c: env.Client}
	p := s.waitPhase(t, ns, s.promote(t, ns, "test", f.Name), railyard.PromotionPhaseSucceeded)

	steps := map[string]railyard.StepStatus{}
	for _, md := range p.Status.StepExecutionMetadata {
		steps[md.Alias] = md.Status
	}
	if steps["boom"] != railyard.StepStatusFailed || steps["record"] != railyard.StepStatusSucceeded {
		t.Errorf("steps: %v; want boom Failed and record (if: status('boom') == 'Failed') Succeeded", steps)
	}

	branch := "kargo/kargo-shaped/test"
	values := repo.ReadFile(branch, "config/values.yaml")
	for _, want := range []string{"replicas: 3\n", "debug: false", "tag: v1.0.0\n"} {
		if !strings.Contains(values, want) {
			t.Errorf("values.yaml on %s lacks %q (typed vars as Kargo types them):\n%s", branch, want, values)
		}
	}
	var app map[string]any
	if err := json.Unmarshal([]byte(repo.ReadFile(branch, "config/app.json")), &app); err != nil {
		t.Fatal(err)
	}
	if app["previousTag"] != "v0.9.0" {
		t.Errorf("app.json previousTag = %v, want v0.9.0 (parsed by yaml-parse before the update)", app["previousTag"])
	}
	st := s.stage(t, ns, "test")
	if got := string(st.Status.Metadata["checkedVersion"].Raw) + " " + string(st.Status.Metadata["sawFailure"].Raw); got != `"1.2.3" true` {
		t.Errorf("Stage metadata = %s, want the http output and the failure seen", got)
	}
	// The tag git-tag made is published by git-push and names the commit
	// on the stage branch.
	if got, want := repo.Resolve("test-"+f.Name+"^{commit}"), repo.Head(branch); got != want {
		t.Errorf("tag test-%s names %s, want the head of %s (%s); steps %v", f.Name, got, branch, want, steps)
	}
}
