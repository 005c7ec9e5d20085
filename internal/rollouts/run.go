package rollouts

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/naming"
)

// Argo Rollouts' AnalysisRun phases (status.phase).
const (
	RunPhasePending      = "Pending"
	RunPhaseRunning      = "Running"
	RunPhaseSuccessful   = "Successful"
	RunPhaseFailed       = "Failed"
	RunPhaseError        = "Error"
	RunPhaseInconclusive = "Inconclusive"
)

// AbortedMessage is the message of a run Railyard aborted.
const AbortedMessage = "verification aborted"

// NewRun returns an empty unstructured AnalysisRun, for Get and watches.
func NewRun() *unstructured.Unstructured {
	run := &unstructured.Unstructured{}
	run.SetGroupVersionKind(GroupVersion.WithKind(KindAnalysisRun))
	return run
}

// NewRunList returns an empty unstructured AnalysisRunList, for List.
func NewRunList() *unstructured.UnstructuredList {
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(GroupVersion.WithKind(KindAnalysisRun + "List"))
	return list
}

// Phase maps a run's status to a verification phase and message. A run not
// yet picked up by Argo Rollouts is Pending. A run that was aborted
// (spec.terminate) is Aborted once Argo Rollouts has stopped it: Argo
// Rollouts then reports it Successful ("Run Terminated"), which must not
// count as a verified Freight. An unknown phase is an Error naming it.
func Phase(run *unstructured.Unstructured) (railyard.VerificationPhase, string) {
	phase, _, _ := unstructured.NestedString(run.Object, "status", "phase")
	message, _, _ := unstructured.NestedString(run.Object, "status", "message")
	message = explainMetrics(run, message)
	if terminated, _, _ := unstructured.NestedBool(run.Object, "spec", "terminate"); terminated {
		switch phase {
		case RunPhaseSuccessful, RunPhaseFailed, RunPhaseError, RunPhaseInconclusive:
			return railyard.VerificationPhaseAborted, AbortedMessage
		}
	}
	switch phase {
	case "", RunPhasePending:
		return railyard.VerificationPhasePending, message
	case RunPhaseRunning:
		return railyard.VerificationPhaseRunning, message
	case RunPhaseSuccessful:
		return railyard.VerificationPhaseSuccessful, message
	case RunPhaseFailed:
		return railyard.VerificationPhaseFailed, message
	case RunPhaseError:
		return railyard.VerificationPhaseError, message
	case RunPhaseInconclusive:
		return railyard.VerificationPhaseInconclusive, message
	default:
		if message != "" {
			message = ": " + message
		}
		return railyard.VerificationPhaseError, fmt.Sprintf("AnalysisRun %s has unknown phase %q%s", run.GetName(), phase, message)
	}
}

var (
	// metricIndex is how Argo Rollouts names a metric whose spec it
	// refuses ("Analysis spec invalid: metrics[0]: ...").
	metricIndex = regexp.MustCompile(`metrics\[(\d+)\]`)
	// metricName is how it names a metric it assessed ("Metric \"smoke\"
	// assessed Failed due to ...").
	metricName = regexp.MustCompile(`[Mm]etric "([^"]+)"`)
)

// explainMetrics adds to a run's message which template each metric it
// names came from (AnnotationMetricTemplates), so that a Stage's condition
// points at the template to fix. Argo Rollouts' message is kept as it is,
// first.
func explainMetrics(run *unstructured.Unstructured, message string) string {
	raw := run.GetAnnotations()[AnnotationMetricTemplates]
	if message == "" || raw == "" {
		return message
	}
	var from map[string]string
	if err := json.Unmarshal([]byte(raw), &from); err != nil {
		return message
	}
	metrics, _, _ := unstructured.NestedSlice(run.Object, "spec", "metrics")
	var parts []string
	seen := map[string]bool{}
	add := func(part string) {
		if !seen[part] {
			seen[part] = true
			parts = append(parts, part)
		}
	}
	for _, m := range metricIndex.FindAllStringSubmatch(message, -1) {
		i, err := strconv.Atoi(m[1])
		if err != nil || i >= len(metrics) {
			continue
		}
		metric, _ := metrics[i].(map[string]any)
		name, _ := metric["name"].(string)
		if t := from[name]; t != "" {
			add(fmt.Sprintf("metrics[%d] is metric %q of %s", i, name, t))
		}
	}
	for _, m := range metricName.FindAllStringSubmatch(message, -1) {
		if t := from[m[1]]; t != "" {
			add(fmt.Sprintf("metric %q is from %s", m[1], t))
		}
	}
	if len(parts) == 0 {
		return message
	}
	return message + " (" + strings.Join(parts, "; ") + ")"
}

// IsTerminal reports whether a verification phase is final.
func IsTerminal(p railyard.VerificationPhase) bool {
	switch p {
	case railyard.VerificationPhaseSuccessful, railyard.VerificationPhaseFailed, railyard.VerificationPhaseError,
		railyard.VerificationPhaseAborted, railyard.VerificationPhaseInconclusive:
		return true
	}
	return false
}

// StartedAt and CompletedAt are the run's status.startedAt and
// status.completedAt (nil until Argo Rollouts sets them).
func StartedAt(run *unstructured.Unstructured) *metav1.Time { return timeField(run, "startedAt") }

// CompletedAt: see StartedAt.
func CompletedAt(run *unstructured.Unstructured) *metav1.Time { return timeField(run, "completedAt") }

func timeField(run *unstructured.Unstructured, field string) *metav1.Time {
	s, ok, _ := unstructured.NestedString(run.Object, "status", field)
	if !ok || s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil
	}
	return &metav1.Time{Time: t}
}

// Abort asks Argo Rollouts to stop a run, as Argo Rollouts' own abort does:
// a merge patch setting spec.terminate. Argo Rollouts then completes the run
// (Phase reports it Aborted).
func Abort(ctx context.Context, c client.Writer, key client.ObjectKey) error {
	run := NewRun()
	run.SetNamespace(key.Namespace)
	run.SetName(key.Name)
	if err := c.Patch(ctx, run, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"terminate":true}}`))); err != nil {
		return fmt.Errorf("aborting AnalysisRun %q in namespace %q: %w", key.Name, key.Namespace, err)
	}
	return nil
}

// Available reports whether the AnalysisRun kind is served, i.e. Argo
// Rollouts' CRDs are installed. A mapper that caches discovery answers (like
// controller-runtime's) sees a later installation on its next miss.
func Available(mapper meta.RESTMapper) (bool, error) {
	_, err := mapper.RESTMapping(GroupVersion.WithKind(KindAnalysisRun).GroupKind(), GroupVersion.Version)
	switch {
	case err == nil:
		return true, nil
	case meta.IsNoMatchError(err):
		return false, nil
	default:
		return false, fmt.Errorf("looking up the AnalysisRun kind: %w", err)
	}
}

// FindRuns lists the runs of a Stage and Freight collection, newest first
// (Kargo reuses the newest instead of starting a second verification).
func FindRuns(ctx context.Context, reader client.Reader, namespace, stage, collectionID string) ([]unstructured.Unstructured, error) {
	list := NewRunList()
	if err := reader.List(ctx, list, client.InNamespace(namespace), client.MatchingLabels{
		LabelStage:             naming.LabelValue(stage),
		LabelFreightCollection: collectionID,
	}); err != nil {
		return nil, fmt.Errorf("listing the AnalysisRuns of Stage %q in namespace %q: %w", stage, namespace, err)
	}
	items := list.Items
	slices.SortStableFunc(items, func(a, b unstructured.Unstructured) int {
		if c := b.GetCreationTimestamp().Compare(a.GetCreationTimestamp().Time); c != 0 {
			return c
		}
		return cmp.Compare(b.GetName(), a.GetName())
	})
	return items, nil
}
