package chart

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/railyard-dev/railyard/internal/controller/warehouse"
	"github.com/railyard-dev/railyard/internal/manager"
	"github.com/railyard-dev/railyard/internal/promotion/argocdstep"
	"github.com/railyard-dev/railyard/internal/registrytest"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// allFeatures switches every optional part of the chart on.
const allFeatures = "testdata/all-features.yaml"

// shared is one API server for the tests that need one, started by the
// first of them (so `-run TestLint` starts none) and stopped by TestMain.
var shared struct {
	once sync.Once
	env  *testenv.Env
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.env != nil {
		_ = shared.env.Stop()
	}
	os.Exit(code)
}

// apiServer returns the shared API server, with the release namespace.
func apiServer(t *testing.T) *testenv.Env {
	t.Helper()
	shared.once.Do(func() {
		if shared.env, shared.err = testenv.Start(testenv.Options{}); shared.err != nil {
			return
		}
		_, shared.err = shared.env.Kubectl(context.Background(), nil, "create", "namespace", Namespace)
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.env
}

func chartDir(t *testing.T) string {
	t.Helper()
	dir, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// kustomized is the objects of a kustomization under config/, built as
// `make deploy` builds them.
func kustomized(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	out, err := Kustomize(context.Background(), filepath.Join(root, "config", dir))
	return mustObjects(t, out, err)
}

func render(t *testing.T, valuesFiles ...string) []*unstructured.Unstructured {
	t.Helper()
	out, err := Template(context.Background(), valuesFiles)
	return mustObjects(t, out, err)
}

// mustObjects decodes manifests that were built without err.
func mustObjects(t *testing.T, manifests string, err error) []*unstructured.Unstructured {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Objects(manifests)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func TestLint(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values []string
	}{
		{"default values", nil},
		{"all features", []string{allFeatures}},
		{"ui enabled", []string{uiValues}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"lint", "--strict", chartDir(t), "--namespace", Namespace}
			for _, v := range tc.values {
				args = append(args, "--values", v)
			}
			out, err := Helm(context.Background(), args...)
			if err != nil {
				t.Fatal(err)
			}
			// Strict lint fails on warnings; informational notes (a missing
			// icon) are allowed, anything else is not.
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(line, "[") && !strings.HasPrefix(line, "[INFO]") {
					t.Errorf("helm lint: %s", line)
				}
			}
		})
	}
}

// Values of the wrong type are refused before anything renders, with a
// message that names the value.
func TestSchemaRejectsWrongValues(t *testing.T) {
	for _, tc := range []struct {
		name, values, want string
	}{
		{"replicas as a word", "replicas: two\n", "/replicas"},
		{"leader election as a string", "leaderElection:\n  enabled: \"yes\"\n", "/leaderElection/enabled"},
		{"concurrency below one", "promotionConcurrency: 0\n", "/promotionConcurrency"},
		{"receiver rate as a string", "webhookReceivers:\n  rate: fast\n", "/webhookReceivers/rate"},
		{"pull secrets as objects", "image:\n  pullSecrets:\n  - name: x\n", "/image/pullSecrets/0"},
		{"unknown log level", "logLevel: verbose\n", "/logLevel"},
		{"a misspelt key", "replica: 3\n", "replica"},
		{"an extra argument without dashes", "extraArgs: [shard=a]\n", "/extraArgs/0"},
		{"a lease without a unit", "leaderElection:\n  leaseDuration: \"15\"\n", "/leaderElection/leaseDuration"},
		{"a git cache of the wrong type", "gitCache:\n  size: [2Gi]\n", "/gitCache/size"},
		{"ui switched on with a word", "ui:\n  enabled: \"yes\"\n", "/ui/enabled"},
		{"ui replicas as a word", "ui:\n  replicas: two\n", "/ui/replicas"},
		{"ui port as a string", "ui:\n  service:\n    port: http\n", "/ui/service/port"},
		{"ui scopes as one string", "ui:\n  oidc:\n    scopes: openid profile\n", "/ui/oidc/scopes"},
		{"ui scopes with a comma", "ui:\n  oidc:\n    scopes: [\"openid,groups\"]\n", "/ui/oidc/scopes/0"},
		{"ui issuer without a scheme", "ui:\n  oidc:\n    issuerURL: keycloak.example.com\n", "/ui/oidc/issuerURL"},
		{"ui external URL without a scheme", "ui:\n  externalURL: railyard.example.com\n", "/ui/externalURL"},
		{"ui session TTL without a unit", "ui:\n  sessionTTL: \"8\"\n", "/ui/sessionTTL"},
		{"ui TLS as a string", "ui:\n  ingress:\n    tls: railyard-tls\n", "/ui/ingress/tls"},
		{"a misspelt ui key", "ui:\n  oidc:\n    issuer: https://id.example.com\n", "issuer"},
		{"ui peers as a map", "networkPolicy:\n  uiFrom:\n    namespace: ingress\n", "/networkPolicy/uiFrom"},
		{"stage finalizer policy as a word", "stageFinalizerPolicy: sometimes\n", "/stageFinalizerPolicy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "values.yaml")
			if err := os.WriteFile(file, []byte(tc.values), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, cmd := range [][]string{
				{"template", "railyard", chartDir(t), "--values", file},
				{"lint", "--strict", chartDir(t), "--values", file},
			} {
				_, err := Helm(context.Background(), cmd...)
				if err == nil {
					t.Fatalf("helm %s accepted %q", cmd[0], tc.values)
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("helm %s refused %q without naming %s: %v", cmd[0], tc.values, tc.want, err)
				}
			}
		})
	}
}

// The chart's CRDs are copies of config/crd/bases, which controller-gen
// writes; `make chart-crds` copies them.
func TestCRDsMatchConfig(t *testing.T) {
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	files := func(dir string) map[string][]byte {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]byte{}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			out[e.Name()] = b
		}
		return out
	}
	want := files(filepath.Join(root, "config", "crd", "bases"))
	got := files(filepath.Join(chartDir(t), "crds"))
	for name, b := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("charts/railyard/crds lacks %s: run 'make chart-crds'", name)
		} else if !bytes.Equal(g, b) {
			t.Errorf("charts/railyard/crds/%s differs from config/crd/bases: run 'make chart-crds'", name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("charts/railyard/crds/%s is not in config/crd/bases: run 'make chart-crds'", name)
		}
	}
}

// The chart installs what config/default installs, under the same names:
// RBAC rules and admission policies equal, the same ServiceAccount,
// Service, ports and manager arguments.
func TestMatchesConfig(t *testing.T) {
	config := kustomized(t, "default")
	chart := render(t)

	// Objects whose content must be equal, compared without metadata
	// (the chart adds its labels).
	for _, tc := range []struct {
		kind, name, field string
	}{
		{"ClusterRole", "railyard-manager-role", "rules"},
		{"ClusterRole", "railyard-viewer", "rules"},
		{"ClusterRole", "railyard-promoter", "rules"},
		{"ClusterRole", "railyard-admin", "rules"},
		{"ClusterRoleBinding", "railyard-manager-rolebinding", "roleRef"},
		{"ClusterRoleBinding", "railyard-manager-rolebinding", "subjects"},
		{"ValidatingAdmissionPolicy", "railyard-promote-verb", "spec"},
		{"ValidatingAdmissionPolicy", "railyard-preview-verb", "spec"},
		{"ValidatingAdmissionPolicy", "railyard-promotion-steps", "spec"},
		{"ValidatingAdmissionPolicy", "railyard-warehouse-spec", "spec"},
		{"ValidatingAdmissionPolicy", "railyard-webhook-receiver-secrets", "spec"},
		{"ValidatingAdmissionPolicyBinding", "railyard-promote-verb", "spec"},
		{"ValidatingAdmissionPolicyBinding", "railyard-preview-verb", "spec"},
		{"ValidatingAdmissionPolicyBinding", "railyard-promotion-steps", "spec"},
		{"ValidatingAdmissionPolicyBinding", "railyard-warehouse-spec", "spec"},
		{"ValidatingAdmissionPolicyBinding", "railyard-webhook-receiver-secrets", "spec"},
		{"ServiceAccount", "railyard-manager", "kind"},
	} {
		t.Run(tc.kind+" "+tc.name+" "+tc.field, func(t *testing.T) {
			want, got := Find(config, tc.kind, tc.name), Find(chart, tc.kind, tc.name)
			if want == nil {
				t.Fatalf("config/default has no %s %s", tc.kind, tc.name)
			}
			if got == nil {
				t.Fatalf("the chart has no %s %s", tc.kind, tc.name)
			}
			if !reflect.DeepEqual(squeeze(want.Object[tc.field]), squeeze(got.Object[tc.field])) {
				t.Errorf("%s differs:\nconfig: %s\nchart:  %s", tc.field, toJSON(t, want.Object[tc.field]), toJSON(t, got.Object[tc.field]))
			}
			// Aggregation labels decide who sees Railyard objects.
			for k, v := range want.GetLabels() {
				if got.GetLabels()[k] != v {
					t.Errorf("label %s=%s is missing from the chart's %s", k, v, tc.name)
				}
			}
		})
	}

	t.Run("webhook receiver Service", func(t *testing.T) {
		want, got := Find(config, "Service", "railyard-webhook-receiver"), Find(chart, "Service", "railyard-webhook-receiver")
		if want == nil || got == nil {
			t.Fatalf("config/default or the chart has no Service railyard-webhook-receiver: %v, %v", want != nil, got != nil)
		}
		if !reflect.DeepEqual(want.Object["spec"].(map[string]any)["ports"], got.Object["spec"].(map[string]any)["ports"]) {
			t.Errorf("ports differ: config %v, chart %v", want.Object["spec"], got.Object["spec"])
		}
	})

	t.Run("Deployment", func(t *testing.T) {
		want, got := Find(config, "Deployment", "railyard-manager"), Find(chart, "Deployment", "railyard-manager")
		if want == nil || got == nil {
			t.Fatalf("config/default or the chart has no Deployment railyard-manager: %v, %v", want != nil, got != nil)
		}
		wantSel, _, _ := unstructured.NestedStringMap(want.Object, "spec", "selector", "matchLabels")
		gotSel, _, _ := unstructured.NestedStringMap(got.Object, "spec", "selector", "matchLabels")
		for k, v := range wantSel {
			if gotSel[k] != v {
				t.Errorf("selector label %s=%s is missing from the chart's %v", k, v, gotSel)
			}
		}
		wantC, gotC := container(t, want), container(t, got)
		for _, f := range []string{"ports", "livenessProbe", "readinessProbe"} {
			if !reflect.DeepEqual(wantC[f], gotC[f]) {
				t.Errorf("%s differ:\nconfig: %s\nchart:  %s", f, toJSON(t, wantC[f]), toJSON(t, gotC[f]))
			}
		}
		// Every argument config passes is passed by the chart too.
		gotArgs, err := ManagerArgs(chart)
		if err != nil {
			t.Fatal(err)
		}
		wantArgs, _, _ := unstructured.NestedStringSlice(wantC, "args")
		for _, a := range wantArgs {
			if !slices.Contains(gotArgs, a) {
				t.Errorf("the chart does not pass %s, which config/manager passes: %q", a, gotArgs)
			}
		}
		// And the hardening of config's container is kept.
		for k, v := range wantC["securityContext"].(map[string]any) {
			if !reflect.DeepEqual(gotC["securityContext"].(map[string]any)[k], v) {
				t.Errorf("securityContext.%s differs: config %v, chart %v", k, v, gotC["securityContext"])
			}
		}
	})
}

// squeeze collapses runs of white space in every string of v. kustomize's
// YAML library unfolds a folded scalar with more-indented lines (the CEL
// of the admission policies) with a blank line where helm's has none; CEL
// does not care, and neither does this comparison.
func squeeze(v any) any {
	switch v := v.(type) {
	case string:
		return strings.Join(strings.Fields(v), " ")
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = squeeze(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = squeeze(e)
		}
		return out
	}
	return v
}

func container(t *testing.T, d *unstructured.Unstructured) map[string]any {
	t.Helper()
	cs, _, err := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	if err != nil || len(cs) == 0 {
		t.Fatalf("%s has no containers: %v", d.GetName(), err)
	}
	return cs[0].(map[string]any)
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// What the rendered Deployment passes is what the manager parses: every
// flag is known to manager.BindFlags (or the zap flags cmd/manager binds),
// and the values land in the Options the chart's values ask for.
func TestManagerArgs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values []string
		want   manager.Options
		// pending are arguments of PendingFlags, checked by value once
		// BindFlags defines them.
		pending []string
		level   string
	}{
		{
			name: "default values",
			want: manager.Options{
				MetricsAddr: ":8080", ProbeAddr: ":8081",
				LeaderElection: true, LeaderElectionNamespace: Namespace,
				LeaderElectionLeaseDuration: 15 * time.Second, LeaderElectionRenewDeadline: 10 * time.Second,
				LeaderElectionRetryPeriod:  2 * time.Second,
				ArgoCDNamespace:            argocdstep.DefaultNamespace,
				WorkDir:                    "/var/lib/railyard/work",
				GitCacheSize:               quantity("2Gi"),
				SharedResourcesNamespace:   "railyard-shared-resources",
				SystemResourcesNamespace:   manager.DefaultSystemResourcesNamespace,
				PromotionConcurrency:       4,
				WarehouseConcurrency:       warehouse.DefaultConcurrency,
				StageConcurrency:           4,
				RegistryRequestsPerSecond:  20,
				CacheByTagPolicy:           warehouse.CacheByTagAllow,
				WebhookReceiverBindAddress: ":8090",
				WebhookReceiverRate:        50,
				WebhookReceiverBurst:       1000,
			},
			level: "info",
		},
		{
			name:   "all features",
			values: []string{allFeatures},
			want: manager.Options{
				MetricsAddr: ":8080", ProbeAddr: ":8081",
				LeaderElection: true, LeaderElectionNamespace: "railyard-leases",
				LeaderElectionLeaseDuration: 30 * time.Second, LeaderElectionRenewDeadline: 20 * time.Second,
				LeaderElectionRetryPeriod:  4 * time.Second,
				Shard:                      "eu-west",
				ArgoCDNamespace:            "gitops",
				ArgoCDKubeconfig:           "/etc/railyard/argocd/config",
				WorkDir:                    "/work",
				GitCacheSize:               quantity("512Mi"),
				UIBaseURL:                  "https://railyard.example.com/ui",
				SharedResourcesNamespace:   "platform-shared",
				SystemResourcesNamespace:   "platform-system",
				PromotionConcurrency:       8,
				WarehouseConcurrency:       6,
				StageConcurrency:           3,
				RegistryRequestsPerSecond:  -1,
				CacheByTagPolicy:           warehouse.CacheByTagForce,
				WebhookReceiverBindAddress: ":8090",
				WebhookReceiverBaseURL:     "https://railyard.example.com",
				WebhookReceiverRate:        2.5,
				WebhookReceiverBurst:       20,
			},
			pending: []string{"--argocd-namespace=gitops", "--argocd-kubeconfig=/etc/railyard/argocd/config"},
			level:   "debug",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args, err := ManagerArgs(render(t, tc.values...))
			if err != nil {
				t.Fatal(err)
			}
			mf, err := ParseManagerArgs(args)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(mf.Options, tc.want) {
				t.Errorf("Options:\n got %+v\nwant %+v", mf.Options, tc.want)
			}
			if got := mf.FlagSet.Lookup("zap-log-level").Value.String(); got != tc.level {
				t.Errorf("zap-log-level = %s, want %s", got, tc.level)
			}
			for _, p := range tc.pending {
				if !slices.Contains(args, p) {
					t.Errorf("the chart does not pass %s: %q", p, args)
					continue
				}
				name, value, _ := strings.Cut(strings.TrimPrefix(p, "--"), "=")
				if f := mf.FlagSet.Lookup(name); f != nil && f.Value.String() != value {
					t.Errorf("--%s parsed as %q, want %q", name, f.Value.String(), value)
				}
			}
			for _, p := range mf.Pending {
				t.Logf("not parsed yet (manager.BindFlags lacks it): %s", p)
			}
		})
	}
}

func quantity(s string) *resource.Quantity {
	q := resource.MustParse(s)
	return &q
}

// The Stage finalizer's MutatingAdmissionPolicy is config/stage-finalizer's,
// and "auto" installs it only where the cluster serves the API (Kubernetes
// 1.36 or later): on an older cluster the objects would be refused.
func TestStageFinalizerPolicy(t *testing.T) {
	config := kustomized(t, "stage-finalizer")
	const served = "admissionregistration.k8s.io/v1/MutatingAdmissionPolicy"
	for _, tc := range []struct {
		name string
		args []string
		want bool
	}{
		{"auto, the API served", []string{"--api-versions", served}, true},
		{"auto, an older cluster", nil, false},
		{"true", []string{"--set", "stageFinalizerPolicy=true"}, true},
		{"false, the API served", []string{"--set", "stageFinalizerPolicy=false", "--api-versions", served}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Template(context.Background(), nil, tc.args...)
			chart := mustObjects(t, out, err)
			for _, kind := range []string{"MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding"} {
				want, got := Find(config, kind, "railyard-stage-finalizer"), Find(chart, kind, "railyard-stage-finalizer")
				if want == nil {
					t.Fatalf("config/stage-finalizer has no %s railyard-stage-finalizer", kind)
				}
				if (got != nil) != tc.want {
					t.Fatalf("the chart renders %s: %v, want %v", kind, got != nil, tc.want)
				}
				if got != nil && !reflect.DeepEqual(squeeze(want.Object["spec"]), squeeze(got.Object["spec"])) {
					t.Errorf("%s spec differs:\nconfig: %s\nchart:  %s", kind, toJSON(t, want.Object["spec"]), toJSON(t, got.Object["spec"]))
				}
			}
		})
	}
}

// The Argo CD flags are rendered only when set, so a manager without them
// runs the default values.
func TestArgoCDFlagsOnlyWhenSet(t *testing.T) {
	args, err := ManagerArgs(render(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range args {
		if slices.Contains(PendingFlags, FlagName(a)) {
			t.Errorf("the default values render %s", a)
		}
	}
	d := Find(render(t), "Deployment", "railyard-manager")
	if vols, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "volumes"); len(vols) != 2 {
		t.Errorf("the default values mount %d volumes, want tmp and work: %v", len(vols), vols)
	}
}

// Every value a user can set is described in the chart's README, and known
// to the schema (which refuses unknown keys). Free-form objects in the
// schema (resources, affinity, ...) count as one value.
func TestValuesDocumented(t *testing.T) {
	dir := chartDir(t)
	var values map[string]any
	readYAML(t, filepath.Join(dir, "values.yaml"), &values)
	var schema map[string]any
	readYAML(t, filepath.Join(dir, "values.schema.json"), &schema)
	readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	keys := leafKeys("", values, schema)
	if len(keys) < 30 {
		t.Fatalf("found only %d values: %v", len(keys), keys)
	}
	for _, k := range keys {
		if !bytes.Contains(readme, []byte("`"+k+"`")) {
			t.Errorf("charts/railyard/README.md does not describe `%s`", k)
		}
	}
}

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// leafKeys lists the dotted paths of values, descending into maps that the
// schema describes property by property.
func leafKeys(prefix string, values map[string]any, schema map[string]any) []string {
	props, _ := schema["properties"].(map[string]any)
	var out []string
	for k, v := range values {
		path := strings.TrimPrefix(prefix+"."+k, ".")
		sub, _ := props[k].(map[string]any)
		if sub == nil {
			out = append(out, path+" (unknown to values.schema.json)")
			continue
		}
		m, isMap := v.(map[string]any)
		if _, described := sub["properties"]; isMap && described {
			out = append(out, leafKeys(path, m, sub)...)
			continue
		}
		out = append(out, path)
	}
	sort.Strings(out)
	return out
}

// The rendered chart is accepted by a real API server: CRDs (the chart's,
// and a stand-in for prometheus-operator's ServiceMonitor, see
// testdata/servicemonitor-crd.yaml) are applied for real, then every other
// object with a server-side dry run, which runs validation, defaulting and
// CEL compilation of the admission policies.
func TestServerDryRun(t *testing.T) {
	env := apiServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	kubectl := func(stdin string, args ...string) string {
		t.Helper()
		var in io.Reader
		if stdin != "" {
			in = strings.NewReader(stdin)
		}
		out, err := env.Kubectl(ctx, in, args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// testenv installed config/crd/bases already; the chart's copies are
	// applied over them with their own field manager.
	kubectl("", "apply", "--server-side", "--force-conflicts", "--field-manager=helm", "-f", filepath.Join(chartDir(t), "crds"))
	kubectl("", "apply", "--server-side", "-f", "testdata/servicemonitor-crd.yaml")
	kubectl("", "wait", "--for=condition=Established", "--timeout=60s", "crd/servicemonitors.monitoring.coreos.com")

	for _, tc := range []struct {
		name   string
		values []string
		set    []string
		kinds  []string // kinds that must be among the objects sent
	}{
		{"default values", nil, nil, []string{"Deployment", "Service", "PodDisruptionBudget", "ValidatingAdmissionPolicy", "ClusterRole"}},
		{"all features", []string{allFeatures}, nil, []string{"ServiceMonitor", "NetworkPolicy", "PodDisruptionBudget", "Ingress", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding"}},
		{"ui enabled", []string{uiValues}, []string{"--set", "networkPolicy.enabled=true,ui.ingress.enabled=true,ui.ingress.host=railyard.example.com"},
			[]string{"Deployment", "Service", "ServiceAccount", "ClusterRoleBinding", "Ingress", "NetworkPolicy"}},
		{
			"receivers, leader election and the budget off, a network policy on", nil,
			[]string{"--set", "webhookReceivers.enabled=false,leaderElection.enabled=false,podDisruptionBudget.enabled=false,networkPolicy.enabled=true,replicas=1"},
			[]string{"NetworkPolicy", "Deployment"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			manifests, err := Template(ctx, tc.values, tc.set...)
			if err != nil {
				t.Fatal(err)
			}
			objs, err := Objects(manifests)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range tc.kinds {
				if !slices.ContainsFunc(objs, func(o *unstructured.Unstructured) bool { return o.GetKind() == k }) {
					t.Errorf("the chart renders no %s", k)
				}
			}
			out := kubectl(manifests, "apply", "--dry-run=server", "--validate=strict", "-f", "-")
			if n := strings.Count(out, "(server dry run)"); n != len(objs) {
				t.Errorf("the server accepted %d objects, want %d:\n%s", n, len(objs), out)
			}
		})
	}
}

// The chart is published the way `make chart-push` does it (helm package,
// then helm push to an OCI registry; here a real in-process registry over
// plain HTTP) and installs from there.
func TestPublishToOCI(t *testing.T) {
	// helm keeps registry logins and pulled charts under these; the test's
	// own directories keep the user's out of it.
	home := t.TempDir()
	for _, v := range []string{"HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"} {
		t.Setenv(v, filepath.Join(home, v))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	reg := registrytest.New(t)
	dist := t.TempDir()
	helm := func(args ...string) string {
		t.Helper()
		out, err := Helm(ctx, args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	helm("package", chartDir(t), "--destination", dist, "--version", "0.1.0-test.1", "--app-version", "v9.9.9")
	helm("push", filepath.Join(dist, "railyard-0.1.0-test.1.tgz"), "oci://"+reg.Host+"/charts", "--plain-http")

	ref := "oci://" + reg.Host + "/charts/railyard"
	if meta := helm("show", "chart", ref, "--version", "0.1.0-test.1", "--plain-http"); !strings.Contains(meta, "appVersion: v9.9.9") {
		t.Errorf("the pushed chart's metadata lacks the app version:\n%s", meta)
	}
	objs, err := Objects(helm("template", "railyard", ref, "--version", "0.1.0-test.1", "--plain-http", "--namespace", Namespace))
	if err != nil {
		t.Fatal(err)
	}
	d := Find(objs, "Deployment", "railyard-manager")
	if d == nil {
		t.Fatal("the chart pulled from the registry renders no Deployment railyard-manager")
	}
	if image := container(t, d)["image"]; image != "ghcr.io/railyard-dev/railyard:v9.9.9" {
		t.Errorf("image = %v, want the app version as tag", image)
	}
}

// Installed for real, the chart's RBAC and admission policies do their
// job: the manager's ServiceAccount has the rights it needs, the role for
// people lets them promote, and the promote-verb policy refuses a Promotion
// from someone without the verb.
func TestInstalledRBACAndPolicies(t *testing.T) {
	env := apiServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	kubectl := func(stdin string, args ...string) (string, error) {
		var in io.Reader
		if stdin != "" {
			in = strings.NewReader(stdin)
		}
		return env.Kubectl(ctx, in, args...)
	}
	must := func(stdin string, args ...string) {
		t.Helper()
		if _, err := kubectl(stdin, args...); err != nil {
			t.Fatal(err)
		}
	}
	manifests, err := Template(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	must(manifests, "apply", "--server-side", "-f", "-")
	must("", "create", "namespace", "demo")
	// alice may promote in demo; bob may create Promotions but lacks the
	// verb promote on Stages.
	must("", "create", "rolebinding", "alice-promoter", "-n", "demo", "--clusterrole=railyard-promoter", "--user=alice")
	must("", "create", "role", "promotions-only", "-n", "demo", "--verb=create,get", "--resource=promotions.railyard.dev")
	must("", "create", "rolebinding", "bob-promotions", "-n", "demo", "--role=promotions-only", "--user=bob")

	t.Run("who may do what", func(t *testing.T) {
		const sa = "system:serviceaccount:" + Namespace + ":railyard-manager"
		for _, tc := range []struct {
			as, verb, resource, ns string
			want                   bool
		}{
			{sa, "promote", "stages.railyard.dev", "demo", true},
			{sa, "update", "promotions.railyard.dev/status", "demo", true},
			{sa, "create", "leases.coordination.k8s.io", Namespace, true},
			{sa, "watch", "secrets", "demo", true},
			{sa, "delete", "secrets", "demo", false},
			{"alice", "promote", "stages.railyard.dev", "demo", true},
			{"alice", "create", "promotions.railyard.dev", "demo", true},
			{"alice", "update", "warehouses.railyard.dev", "demo", false},
			{"alice", "promote", "stages.railyard.dev", "other", false},
			{"bob", "promote", "stages.railyard.dev", "demo", false},
		} {
			out, _ := kubectl("", "auth", "can-i", tc.verb, tc.resource, "-n", tc.ns, "--as", tc.as)
			if got := strings.TrimSpace(out) == "yes"; got != tc.want {
				t.Errorf("%s may %s %s in %s: %v, want %v", tc.as, tc.verb, tc.resource, tc.ns, got, tc.want)
			}
		}
	})

	// Verification creates Argo Rollouts AnalysisRuns from
	// (Cluster)AnalysisTemplates. Argo Rollouts' CRDs are not installed
	// here (kubectl auth can-i cannot name their resources then): the API
	// server is asked with SubjectAccessReviews, which need no CRD.
	t.Run("verification with Argo Rollouts", func(t *testing.T) {
		const sa = "system:serviceaccount:" + Namespace + ":railyard-manager"
		for _, tc := range []struct {
			verb, resource string
			want           bool
		}{
			{"create", "analysisruns", true},
			{"get", "analysisruns", true},
			{"list", "analysisruns", true},
			{"watch", "analysisruns", true},
			{"patch", "analysisruns", true},
			{"delete", "analysisruns", true},
			{"get", "analysistemplates", true},
			{"list", "analysistemplates", true},
			{"get", "clusteranalysistemplates", true},
			{"update", "analysistemplates", false},
			{"delete", "clusteranalysistemplates", false},
		} {
			review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
				User:   sa,
				Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + Namespace, "system:authenticated"},
				ResourceAttributes: &authorizationv1.ResourceAttributes{
					Namespace: "demo", Verb: tc.verb, Group: "argoproj.io", Resource: tc.resource,
				},
			}}
			if err := env.Client.Create(ctx, review); err != nil {
				t.Fatal(err)
			}
			if review.Status.Allowed != tc.want {
				t.Errorf("the manager may %s %s.argoproj.io: %v, want %v (%s)", tc.verb, tc.resource, review.Status.Allowed, tc.want, review.Status.Reason)
			}
		}
	})

	t.Run("promoting needs the verb", func(t *testing.T) {
		promotion := func(name string) string {
			return "apiVersion: railyard.dev/v1alpha1\nkind: Promotion\nmetadata:\n  name: " + name +
				"\n  namespace: demo\nspec:\n  stage: prod\n  origin:\n    kind: Warehouse\n    name: demo\n"
		}
		// The API server starts enforcing a new policy within a second or
		// two; wait for bob's refusal rather than assume it.
		testenv.Eventually(t, time.Minute, func() error {
			_, err := kubectl(promotion("by-bob"), "create", "-f", "-", "--as", "bob")
			if err == nil {
				must("", "delete", "promotion", "by-bob", "-n", "demo")
				return errors.New("bob created a Promotion for prod without the verb promote")
			}
			if !strings.Contains(err.Error(), "may not promote to Stage prod") {
				return err
			}
			return nil
		})
		must(promotion("by-alice"), "create", "-f", "-", "--as", "alice")
	})
}
