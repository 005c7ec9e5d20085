package rollouts_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/rollouts"
	"github.com/railyard-dev/railyard/internal/rolloutstest"
	"github.com/railyard-dev/railyard/internal/testenv"
)

var (
	env  *testenv.Env
	ctrl *rolloutstest.Controller
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if env, err = testenv.Start(testenv.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	if ctrl, err = rolloutstest.Run(env); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "rollouts-controller log (tail):\n%s\n", ctrl.LogTail(60))
	}
	_ = ctrl.Stop()
	return code
}

var nsCounter atomic.Int32

// namespace creates a fresh namespace with one Freight per name.
func namespace(t *testing.T, freight ...string) string {
	t.Helper()
	ns := fmt.Sprintf("verify-%d", nsCounter.Add(1))
	rolloutstest.Create(t, env.Client, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	for _, name := range freight {
		rolloutstest.Create(t, env.Client, &railyard.Freight{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Origin:     railyard.FreightOrigin{Kind: "Warehouse", Name: "app"},
			Images:     []railyard.Image{{RepoURL: "example.com/app", Tag: "v1"}},
		})
	}
	return ns
}

// server answers {"ok": <ok>} and counts requests by path.
func server(t *testing.T, ok bool) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"ok": %t}`, ok)
	}))
	t.Cleanup(s.Close)
	return s
}

const freightA = "0123456789abcdef0123456789abcdef01234567"

func build(t *testing.T, opts rollouts.BuildOptions) *unstructured.Unstructured {
	t.Helper()
	run, err := rollouts.BuildAnalysisRun(context.Background(), env.Client, opts)
	if err != nil {
		t.Fatalf("BuildAnalysisRun: %v", err)
	}
	return run
}

func createRun(t *testing.T, run *unstructured.Unstructured) client.ObjectKey {
	t.Helper()
	if err := env.Client.Create(context.Background(), run); err != nil {
		t.Fatalf("creating AnalysisRun: %v", err)
	}
	return client.ObjectKeyFromObject(run)
}

func waitForVerification(t *testing.T, key client.ObjectKey, want railyard.VerificationPhase) (*unstructured.Unstructured, string) {
	t.Helper()
	var run *unstructured.Unstructured
	var msg string
	testenv.Eventually(t, 60*time.Second, func() error {
		var err error
		if run, err = rolloutstest.GetRun(context.Background(), env.Client, key); err != nil {
			return err
		}
		var got railyard.VerificationPhase
		got, msg = rollouts.Phase(run)
		if got != want {
			return fmt.Errorf("AnalysisRun %s: phase %s (%q), want %s; status %v", key, got, msg, want, run.Object["status"])
		}
		return nil
	})
	return run, msg
}

func TestWebMetricSuccessful(t *testing.T) {
	ns := namespace(t, freightA)
	rolloutstest.Create(t, env.Client, rolloutstest.Template(ns, "smoke", rolloutstest.WebMetric("smoke", server(t, true).URL)))
	run := build(t, rollouts.BuildOptions{
		Namespace: ns, Stage: "test", Freight: []string{freightA}, Promotion: "test.01abc.0123456",
		Templates: []railyard.AnalysisTemplateReference{{Name: "smoke"}},
	})
	key := createRun(t, run)
	done, _ := waitForVerification(t, key, railyard.VerificationPhaseSuccessful)
	if rollouts.StartedAt(done) == nil || rollouts.CompletedAt(done) == nil {
		t.Errorf("StartedAt/CompletedAt not set: %v", done.Object["status"])
	}
}

func TestWebMetricFailed(t *testing.T) {
	ns := namespace(t, freightA)
	rolloutstest.Create(t, env.Client, rolloutstest.Template(ns, "smoke", rolloutstest.WebMetric("smoke", server(t, false).URL)))
	key := createRun(t, build(t, rollouts.BuildOptions{
		Namespace: ns, Stage: "test", Freight: []string{freightA},
		Templates: []railyard.AnalysisTemplateReference{{Name: "smoke"}},
	}))
	_, msg := waitForVerification(t, key, railyard.VerificationPhaseFailed)
	if !strings.Contains(msg, "smoke") {
		t.Errorf("message %q does not name the failed metric", msg)
	}
}

// A run still taking measurements is Running; aborting it ends it as
// Aborted although Argo Rollouts reports the terminated run Successful.
func TestRunningThenAbort(t *testing.T) {
	ns := namespace(t, freightA)
	m := rolloutstest.WebMetric("soak", server(t, true).URL)
	m["count"], m["interval"] = int64(3), "1h"
	rolloutstest.Create(t, env.Client, rolloutstest.Template(ns, "soak", m))
	key := createRun(t, build(t, rollouts.BuildOptions{
		Namespace: ns, Stage: "test", Freight: []string{freightA},
		Templates: []railyard.AnalysisTemplateReference{{Name: "soak"}},
	}))
	waitForVerification(t, key, railyard.VerificationPhaseRunning)

	if err := rollouts.Abort(context.Background(), env.Client, key); err != nil {
		t.Fatal(err)
	}
	run := ctrl.WaitForPhase(t, env.Client, key, rollouts.RunPhaseSuccessful, 60*time.Second)
	if phase, msg := rollouts.Phase(run); phase != railyard.VerificationPhaseAborted || msg != rollouts.AbortedMessage {
		t.Errorf("Phase after abort = %s, %q; want Aborted", phase, msg)
	}
}

// A Job metric is carried into the run exactly; Argo Rollouts creates the
// Job (which never runs here: envtest has no kubelet).
func TestJobMetricCarriedIntact(t *testing.T) {
	ns := namespace(t, freightA)
	tmpl := rolloutstest.WithArgs(rolloutstest.Template(ns, "job", rolloutstest.JobMetric("integration")), [2]string{"expected", ""})
	rolloutstest.Create(t, env.Client, tmpl)
	stored := rolloutstest.Template(ns, "job")
	if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(tmpl), stored); err != nil {
		t.Fatal(err)
	}
	key := createRun(t, build(t, rollouts.BuildOptions{
		Namespace: ns, Stage: "test", Freight: []string{freightA},
		Templates: []railyard.AnalysisTemplateReference{{Name: "job"}},
		Args:      []railyard.AnalysisRunArgument{{Name: "expected", Value: "ok"}},
	}))
	created, err := rolloutstest.GetRun(context.Background(), env.Client, key)
	if err != nil {
		t.Fatal(err)
	}
	wantMetrics, _, _ := unstructured.NestedSlice(stored.Object, "spec", "metrics")
	gotMetrics, _, _ := unstructured.NestedSlice(created.Object, "spec", "metrics")
	if !reflect.DeepEqual(gotMetrics, wantMetrics) {
		t.Errorf("run metrics differ from the template's:\n got %v\nwant %v", gotMetrics, wantMetrics)
	}
	args, _, _ := unstructured.NestedSlice(created.Object, "spec", "args")
	if want := []any{map[string]any{"name": "expected", "value": "ok"}}; !reflect.DeepEqual(args, want) {
		t.Errorf("args = %v, want %v", args, want)
	}
	testenv.Eventually(t, 60*time.Second, func() error {
		var jobs batchv1.JobList
		if err := env.Client.List(context.Background(), &jobs, client.InNamespace(ns)); err != nil {
			return err
		}
		if len(jobs.Items) != 1 {
			return fmt.Errorf("%d Jobs in %s, want 1", len(jobs.Items), ns)
		}
		c := jobs.Items[0].Spec.Template.Spec.Containers[0]
		if got := strings.Join(c.Command, " "); got != "sh -c test ok = ok" {
			return fmt.Errorf("Job command %q: argument not substituted", got)
		}
		return nil
	})
	waitForVerification(t, key, railyard.VerificationPhaseRunning)
}

// Two templates, one namespaced and one cluster-scoped, are merged as Argo
// Rollouts merges them; the run carries labels, annotations and owners.
func TestTwoTemplatesMerged(t *testing.T) {
	const freightB = "fedcba9876543210fedcba9876543210fedcba98"
	ns := namespace(t, freightA, freightB)
	var paths atomic.Value
	paths.Store("")
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths.Store(paths.Load().(string) + r.URL.Path + " ")
		_, _ = fmt.Fprint(w, `{"ok": true}`)
	}))
	t.Cleanup(s.Close)

	a := rolloutstest.WithArgs(rolloutstest.Template(ns, "a", rolloutstest.WebMetric("web-a", s.URL+"/a/{{args.version}}")),
		[2]string{"version", ""}, [2]string{"env", "staging"})
	_ = unstructured.SetNestedSlice(a.Object, []any{map[string]any{"metricName": "web-a"}}, "spec", "dryRun")
	rolloutstest.Create(t, env.Client, a)
	clusterName := "b-" + ns
	b := rolloutstest.WithArgs(rolloutstest.Template("", clusterName, rolloutstest.WebMetric("web-b", s.URL+"/b/{{args.env}}")),
		[2]string{"env", ""})
	_ = unstructured.SetNestedSlice(b.Object, []any{map[string]any{"metricName": "web-b", "limit": int64(5)}}, "spec", "measurementRetention")
	rolloutstest.Create(t, env.Client, b)

	run := build(t, rollouts.BuildOptions{
		Namespace: ns, Stage: "test", Freight: []string{freightA, freightB}, Promotion: "test.01jabc.fedcba9",
		Templates: []railyard.AnalysisTemplateReference{{Name: clusterName, Kind: "ClusterAnalysisTemplate"}, {Name: "a"}},
		Args:      []railyard.AnalysisRunArgument{{Name: "version", Value: "v2"}},
		Metadata: railyard.AnalysisRunMetadata{
			Labels:      map[string]string{"team": "payments", rollouts.LabelStage: "spoofed"},
			Annotations: map[string]string{"note": "hello", rollouts.AnnotationVerification: "spoofed"},
		},
		Verification: "v2", Reverifies: "v1", Actor: "alice",
	})

	spec := run.Object["spec"].(map[string]any)
	var names []string
	for _, m := range spec["metrics"].([]any) {
		names = append(names, m.(map[string]any)["name"].(string))
	}
	if got := strings.Join(names, ","); got != "web-a,web-b" {
		t.Errorf("metrics %s, want web-a,web-b (namespaced templates first)", got)
	}
	wantArgs := []any{
		map[string]any{"name": "version", "value": "v2"},
		map[string]any{"name": "env", "value": "staging"},
	}
	if !reflect.DeepEqual(spec["args"], wantArgs) {
		t.Errorf("args = %v, want %v", spec["args"], wantArgs)
	}
	if want := []any{map[string]any{"metricName": "web-a"}}; !reflect.DeepEqual(spec["dryRun"], want) {
		t.Errorf("dryRun = %v, want %v", spec["dryRun"], want)
	}
	if want := []any{map[string]any{"metricName": "web-b", "limit": int64(5)}}; !reflect.DeepEqual(spec["measurementRetention"], want) {
		t.Errorf("measurementRetention = %v, want %v", spec["measurementRetention"], want)
	}
	labels := run.GetLabels()
	if labels["team"] != "payments" || labels[rollouts.LabelStage] != "test" || labels[rollouts.LabelPromotion] != "test.01jabc.fedcba9" ||
		len(labels[rollouts.LabelFreightCollection]) != 40 || labels[rollouts.LabelFreight] != "" {
		t.Errorf("labels = %v", labels)
	}
	if ann := run.GetAnnotations(); ann["note"] != "hello" || ann[rollouts.AnnotationFreight] != freightA+","+freightB ||
		ann[rollouts.AnnotationPromotion] != "test.01jabc.fedcba9" || ann[rollouts.AnnotationVerification] != "v2" ||
		ann[rollouts.AnnotationReverifies] != "v1" || ann[rollouts.AnnotationActor] != "alice" ||
		ann[rollouts.AnnotationMetricTemplates] != `{"web-a":"AnalysisTemplate \"a\"","web-b":"ClusterAnalysisTemplate \"`+clusterName+`\""}` {
		t.Errorf("annotations = %v", ann)
	}
	if owners := run.GetOwnerReferences(); len(owners) != 2 || owners[0].Kind != "Freight" || owners[0].Name != freightA ||
		owners[0].UID == "" || *owners[0].BlockOwnerDeletion || owners[0].Controller != nil {
		t.Errorf("owners = %+v", owners)
	}
	if name := run.GetName(); !strings.HasPrefix(name, "test.") || !strings.HasSuffix(name, "."+labels[rollouts.LabelFreightCollection][:7]) {
		t.Errorf("name %q, want test.<ulid>.<collection[:7]>", name)
	}

	key := createRun(t, run)
	waitForVerification(t, key, railyard.VerificationPhaseSuccessful)
	if got := paths.Load().(string); !strings.Contains(got, "/a/v2") || !strings.Contains(got, "/b/staging") {
		t.Errorf("requests %q: arguments not substituted", got)
	}

	found, err := rollouts.FindRuns(context.Background(), env.Client, ns, "test", labels[rollouts.LabelFreightCollection])
	if err != nil || len(found) != 1 || found[0].GetName() != key.Name {
		t.Errorf("FindRuns = %d runs, %v; want %s", len(found), err, key.Name)
	}
}

func TestBuildErrors(t *testing.T) {
	ns := namespace(t, freightA)
	url := server(t, true).URL
	rolloutstest.Create(t, env.Client, rolloutstest.WithArgs(rolloutstest.Template(ns, "needs-arg", rolloutstest.WebMetric("m1", url)), [2]string{"version", ""}))
	rolloutstest.Create(t, env.Client, rolloutstest.Template(ns, "dup", rolloutstest.WebMetric("m1", url)))
	rolloutstest.Create(t, env.Client, rolloutstest.WithArgs(rolloutstest.Template(ns, "conflict", rolloutstest.WebMetric("m2", url)), [2]string{"version", "v1"}))
	rolloutstest.Create(t, env.Client, rolloutstest.WithArgs(rolloutstest.Template(ns, "conflict2", rolloutstest.WebMetric("m3", url)), [2]string{"version", "v2"}))
	noProvider := rolloutstest.WebMetric("broken", url)
	noProvider["provider"] = map[string]any{}
	rolloutstest.Create(t, env.Client, rolloutstest.Template(ns, "broken", noProvider))
	twoProviders := rolloutstest.WebMetric("greedy", url)
	twoProviders["provider"].(map[string]any)["prometheus"] = map[string]any{"address": "http://prometheus", "query": "up"}
	rolloutstest.Create(t, env.Client, rolloutstest.Template(ns, "greedy", twoProviders))

	ref := func(names ...string) []railyard.AnalysisTemplateReference {
		var out []railyard.AnalysisTemplateReference
		for _, n := range names {
			out = append(out, railyard.AnalysisTemplateReference{Name: n})
		}
		return out
	}
	tests := []struct {
		name      string
		templates []railyard.AnalysisTemplateReference
		args      []railyard.AnalysisRunArgument
		freight   []string
		is        error
		contains  []string
	}{
		{"template not found", ref("missing"), nil, []string{freightA}, rollouts.ErrTemplateNotFound,
			[]string{`AnalysisTemplate "missing"`, ns}},
		{"cluster template not found", []railyard.AnalysisTemplateReference{{Name: "nope", Kind: "ClusterAnalysisTemplate"}}, nil, []string{freightA},
			rollouts.ErrTemplateNotFound, []string{`ClusterAnalysisTemplate "nope"`}},
		{"undeclared arg", ref("needs-arg"), []railyard.AnalysisRunArgument{{Name: "version", Value: "1"}, {Name: "colour", Value: "blue"}}, []string{freightA},
			rollouts.ErrInvalid, []string{`"colour"`, `AnalysisTemplate "needs-arg"`}},
		{"unresolved arg", ref("needs-arg"), nil, []string{freightA}, rollouts.ErrInvalid,
			[]string{`"version"`, `AnalysisTemplate "needs-arg"`}},
		{"duplicate metric", ref("needs-arg", "dup"), []railyard.AnalysisRunArgument{{Name: "version", Value: "1"}}, []string{freightA},
			rollouts.ErrInvalid, []string{`"m1"`, `AnalysisTemplate "needs-arg"`, `AnalysisTemplate "dup"`}},
		{"conflicting arg values", ref("conflict", "conflict2"), nil, []string{freightA}, rollouts.ErrInvalid,
			[]string{`"version"`, `"v1"`, `"v2"`}},
		{"metric without provider", ref("broken"), nil, []string{freightA}, rollouts.ErrInvalid,
			[]string{`AnalysisTemplate "broken"`, `"broken" has no provider`}},
		{"metric with two providers", ref("greedy"), nil, []string{freightA}, rollouts.ErrInvalid,
			[]string{`AnalysisTemplate "greedy"`, `"greedy" has more than one provider (prometheus, web)`}},
		{"bad kind", []railyard.AnalysisTemplateReference{{Name: "x", Kind: "Rollout"}}, nil, []string{freightA}, rollouts.ErrInvalid,
			[]string{`"Rollout"`}},
		{"no templates", nil, nil, []string{freightA}, rollouts.ErrInvalid, nil},
		{"missing Freight", ref("dup"), nil, []string{"gone"}, nil, []string{`Freight "gone"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rollouts.BuildAnalysisRun(context.Background(), env.Client, rollouts.BuildOptions{
				Namespace: ns, Stage: "test", Freight: tt.freight, Templates: tt.templates, Args: tt.args,
			})
			if err == nil {
				t.Fatal("no error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %v", err, tt.is)
			}
			for _, s := range tt.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %s", err, s)
				}
			}
		})
	}
}

// Nested templates (spec.templates) are resolved; a cycle is not followed
// twice.
func TestNestedTemplates(t *testing.T) {
	ns := namespace(t, freightA)
	url := server(t, true).URL
	outer := rolloutstest.Template(ns, "outer", rolloutstest.WebMetric("outer", url))
	_ = unstructured.SetNestedSlice(outer.Object, []any{map[string]any{"templateName": "inner"}}, "spec", "templates")
	inner := rolloutstest.Template(ns, "inner", rolloutstest.WebMetric("inner", url))
	_ = unstructured.SetNestedSlice(inner.Object, []any{map[string]any{"templateName": "outer"}}, "spec", "templates")
	rolloutstest.Create(t, env.Client, outer)
	rolloutstest.Create(t, env.Client, inner)
	run := build(t, rollouts.BuildOptions{
		Namespace: ns, Stage: "test", Freight: []string{freightA},
		Templates: []railyard.AnalysisTemplateReference{{Name: "outer"}},
	})
	metrics, _, _ := unstructured.NestedSlice(run.Object, "spec", "metrics")
	if len(metrics) != 2 {
		t.Fatalf("%d metrics, want 2 (outer, inner)", len(metrics))
	}
	if _, found, _ := unstructured.NestedFieldNoCopy(run.Object, "spec", "templates"); found {
		t.Error("run spec carries templates")
	}
	waitForVerification(t, createRun(t, run), railyard.VerificationPhaseSuccessful)
}

func TestAvailable(t *testing.T) {
	ok, err := rollouts.Available(env.Client.RESTMapper())
	if err != nil || !ok {
		t.Errorf("Available with the CRDs installed = %t, %v", ok, err)
	}
	ok, err = rollouts.Available(meta.NewDefaultRESTMapper(nil))
	if err != nil || ok {
		t.Errorf("Available without the CRDs = %t, %v", ok, err)
	}
}

func TestPhase(t *testing.T) {
	tests := []struct {
		phase     string
		terminate bool
		want      railyard.VerificationPhase
	}{
		{"", false, railyard.VerificationPhasePending},
		{"Pending", false, railyard.VerificationPhasePending},
		{"Running", false, railyard.VerificationPhaseRunning},
		{"Successful", false, railyard.VerificationPhaseSuccessful},
		{"Failed", false, railyard.VerificationPhaseFailed},
		{"Error", false, railyard.VerificationPhaseError},
		{"Inconclusive", false, railyard.VerificationPhaseInconclusive},
		{"Running", true, railyard.VerificationPhaseRunning},
		{"Successful", true, railyard.VerificationPhaseAborted},
		{"Failed", true, railyard.VerificationPhaseAborted},
		{"Weird", false, railyard.VerificationPhaseError},
	}
	for _, tt := range tests {
		run := rollouts.NewRun()
		run.SetName("r")
		_ = unstructured.SetNestedField(run.Object, tt.phase, "status", "phase")
		_ = unstructured.SetNestedField(run.Object, "msg", "status", "message")
		if tt.terminate {
			_ = unstructured.SetNestedField(run.Object, true, "spec", "terminate")
		}
		got, msg := rollouts.Phase(run)
		if got != tt.want {
			t.Errorf("Phase(%q, terminate %t) = %s, want %s", tt.phase, tt.terminate, got, tt.want)
		}
		if tt.phase == "Weird" && !strings.Contains(msg, `"Weird"`) {
			t.Errorf("unknown phase message %q", msg)
		}
	}
	if !rollouts.IsTerminal(railyard.VerificationPhaseAborted) || rollouts.IsTerminal(railyard.VerificationPhaseRunning) {
		t.Error("IsTerminal")
	}
}

// Argo Rollouts' messages about a metric are completed with the template
// the metric came from.
func TestPhaseNamesTemplates(t *testing.T) {
	tests := []struct {
		name, message, annotation, want string
	}{
		{
			name:       "a metric whose spec Argo Rollouts refuses",
			message:    "Analysis spec invalid: metrics[1]: interval must be specified when count > 1",
			annotation: `{"a":"AnalysisTemplate \"x\"","b":"ClusterAnalysisTemplate \"y\""}`,
			want:       `Analysis spec invalid: metrics[1]: interval must be specified when count > 1 (metrics[1] is metric "b" of ClusterAnalysisTemplate "y")`,
		},
		{
			name:       "a metric assessed Failed",
			message:    `Metric "a" assessed Failed due to failed (1) > failureLimit (0)`,
			annotation: `{"a":"AnalysisTemplate \"x\"","b":"ClusterAnalysisTemplate \"y\""}`,
			want:       `Metric "a" assessed Failed due to failed (1) > failureLimit (0) (metric "a" is from AnalysisTemplate "x")`,
		},
		{
			name:       "a message naming no metric",
			message:    "Run Terminated",
			annotation: `{"a":"AnalysisTemplate \"x\""}`,
			want:       "Run Terminated",
		},
		{
			name:    "a run Railyard did not build",
			message: `Metric "a" assessed Failed due to failed (1) > failureLimit (0)`,
			want:    `Metric "a" assessed Failed due to failed (1) > failureLimit (0)`,
		},
		{
			name:       "an index beyond the metrics",
			message:    "Analysis spec invalid: metrics[7]: bad",
			annotation: `{"a":"AnalysisTemplate \"x\""}`,
			want:       "Analysis spec invalid: metrics[7]: bad",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := rollouts.NewRun()
			run.SetName("r")
			if tt.annotation != "" {
				run.SetAnnotations(map[string]string{rollouts.AnnotationMetricTemplates: tt.annotation})
			}
			_ = unstructured.SetNestedSlice(run.Object, []any{map[string]any{"name": "a"}, map[string]any{"name": "b"}}, "spec", "metrics")
			_ = unstructured.SetNestedField(run.Object, rollouts.RunPhaseError, "status", "phase")
			_ = unstructured.SetNestedField(run.Object, tt.message, "status", "message")
			if _, got := rollouts.Phase(run); got != tt.want {
				t.Errorf("message = %q\nwant      %q", got, tt.want)
			}
		})
	}
}
