package rolloutstest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Group and version of Argo Rollouts' API (kept here so tests of the
// rollouts package and of callers need no second source).
const apiVersion = "argoproj.io/v1alpha1"

// WebMetric returns a metric with the `web` provider: one measurement (count
// 1) of GET url, successful when the JSON answer has "ok": true and failed
// when it has "ok": false. Change its fields for other shapes, e.g.
// m["count"], m["interval"] = int64(2), "1h" for a run that stays Running.
func WebMetric(name, url string) map[string]any {
	return map[string]any{
		"name":             name,
		"count":            int64(1),
		"successCondition": "result.ok == true",
		"failureCondition": "result.ok == false",
		"provider": map[string]any{
			"web": map[string]any{
				"url":            url,
				"timeoutSeconds": int64(10),
				"jsonPath":       "{$}",
			},
		},
	}
}

// JobMetric returns a metric with the `job` provider running a busybox
// container (envtest runs no pods: such a run never completes).
func JobMetric(name string) map[string]any {
	return map[string]any{
		"name":  name,
		"count": int64(1),
		"provider": map[string]any{
			"job": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"analysis": name}},
				"spec": map[string]any{
					"backoffLimit": int64(0),
					"template": map[string]any{
						"spec": map[string]any{
							"restartPolicy": "Never",
							"containers": []any{map[string]any{
								"name":    "check",
								"image":   "busybox:1.36",
								"command": []any{"sh", "-c", "test {{args.expected}} = ok"},
							}},
						},
					},
				},
			},
		},
	}
}

// Template returns an AnalysisTemplate (namespace set) or, with namespace
// "", a ClusterAnalysisTemplate with the given metrics. Add args and other
// spec fields with unstructured.SetNestedField.
func Template(namespace, name string, metrics ...map[string]any) *unstructured.Unstructured {
	kind := "AnalysisTemplate"
	if namespace == "" {
		kind = "ClusterAnalysisTemplate"
	}
	ms := make([]any, len(metrics))
	for i, m := range metrics {
		ms[i] = m
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": apiVersion,
		"kind":       kind,
		"metadata":   map[string]any{"name": name},
		"spec":       map[string]any{"metrics": ms},
	}}
	if namespace != "" {
		u.SetNamespace(namespace)
	}
	return u
}

// WithArgs declares arguments on a template: name to value, "" for an
// argument without a value. It returns the template.
func WithArgs(tmpl *unstructured.Unstructured, args ...[2]string) *unstructured.Unstructured {
	out := make([]any, len(args))
	for i, a := range args {
		arg := map[string]any{"name": a[0]}
		if a[1] != "" {
			arg["value"] = a[1]
		}
		out[i] = arg
	}
	if err := unstructured.SetNestedSlice(tmpl.Object, out, "spec", "args"); err != nil {
		panic(err)
	}
	return tmpl
}

// Create creates obj, failing the test on error, and deletes it on cleanup.
func Create(t testing.TB, c client.Client, obj client.Object) {
	t.Helper()
	if err := c.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %s %s: %v", obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName(), err)
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), obj) })
}

// GetRun reads an AnalysisRun.
func GetRun(ctx context.Context, c client.Reader, key client.ObjectKey) (*unstructured.Unstructured, error) {
	run := &unstructured.Unstructured{}
	run.SetAPIVersion(apiVersion)
	run.SetKind("AnalysisRun")
	err := c.Get(ctx, key, run)
	return run, err
}

// RunPhase is the run's status.phase ("" before Argo Rollouts saw it).
func RunPhase(run *unstructured.Unstructured) string {
	p, _, _ := unstructured.NestedString(run.Object, "status", "phase")
	return p
}

// WaitForPhase waits until the AnalysisRun's status.phase is phase and
// returns it. On timeout it fails the test with the run's status and, if
// the controller has died, its log.
func (c *Controller) WaitForPhase(t testing.TB, cl client.Reader, key client.ObjectKey, phase string, timeout time.Duration) *unstructured.Unstructured {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		run, err := GetRun(context.Background(), cl, key)
		if err == nil && RunPhase(run) == phase {
			return run
		}
		if time.Now().After(deadline) {
			var status any
			if err == nil {
				status = run.Object["status"]
			}
			msg := fmt.Sprintf("AnalysisRun %s did not reach phase %s within %s (get error: %v, status: %v)", key, phase, timeout, err, status)
			if exited, exitErr := c.Exited(); exited {
				msg += fmt.Sprintf("\nrollouts-controller exited (%v); log:\n%s", exitErr, c.LogTail(40))
			}
			t.Fatal(msg)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
