package e2e

import (
	"fmt"
	"reflect"
	"sort"
	"testing"

	dto "github.com/prometheus/client_model/go"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// byController calls each with every series of the in-process manager's
// metric name and the value of its label (the controller's name).
func byController(name, label string, each func(controller string, m *dto.Metric)) error {
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		return err
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label {
					each(l.GetValue(), m)
				}
			}
		}
	}
	return nil
}

// reconcileCounts reads controller-runtime's reconcile counter of the
// in-process manager, by controller (all results).
func reconcileCounts() (map[string]float64, error) {
	out := map[string]float64{}
	err := byController("controller_runtime_reconcile_total", "controller", func(c string, m *dto.Metric) {
		out[c] += m.GetCounter().GetValue()
	})
	return out, err
}

// reconcileRows are the reconciles between two readings, by controller:
// work that, unlike CPU seconds, does not depend on how fast the machine
// was during the run.
func reconcileRows(before, after map[string]float64) [][2]string {
	names := make([]string, 0, len(after))
	for name := range after {
		if after[name] > before[name] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var rows [][2]string
	for _, name := range names {
		rows = append(rows, [2]string{"reconciles, " + name, fmt.Sprintf("%.0f", after[name]-before[name])})
	}
	return rows
}

// queueWaits reads controller-runtime's work queue wait histogram of the
// in-process manager: by controller, the seconds its items waited and how
// many there were.
func queueWaits() (map[string][2]float64, error) {
	out := map[string][2]float64{}
	err := byController("workqueue_queue_duration_seconds", "name", func(c string, m *dto.Metric) {
		h := m.GetHistogram()
		w := out[c]
		out[c] = [2]float64{w[0] + h.GetSampleSum(), w[1] + float64(h.GetSampleCount())}
	})
	return out, err
}

// queueWaitRows are the mean waits in the work queue between two readings,
// by controller: a controller whose items wait long is short of workers
// (or of CPU).
func queueWaitRows(before, after map[string][2]float64) [][2]string {
	names := make([]string, 0, len(after))
	for name := range after {
		if after[name][1] > before[name][1] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var rows [][2]string
	for _, name := range names {
		n := after[name][1] - before[name][1]
		mean := (after[name][0] - before[name][0]) / n
		rows = append(rows, [2]string{"queue wait, " + name + ", mean", fmt.Sprintf("%.2f s", mean)})
	}
	return rows
}

func TestQueueWaitRows(t *testing.T) {
	got := queueWaitRows(map[string][2]float64{"warehouse": {1, 10}, "idle": {2, 3}}, map[string][2]float64{"warehouse": {7, 20}, "idle": {2, 3}, "new": {0.5, 2}})
	want := [][2]string{{"queue wait, new, mean", "0.25 s"}, {"queue wait, warehouse, mean", "0.60 s"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("queueWaitRows = %v, want %v", got, want)
	}
}

func TestReconcileRows(t *testing.T) {
	got := reconcileRows(map[string]float64{"stage": 10, "promotion": 4, "idle": 3}, map[string]float64{"stage": 25, "promotion": 6, "idle": 3, "new": 1})
	want := [][2]string{{"reconciles, new", "1"}, {"reconciles, promotion", "2"}, {"reconciles, stage", "15"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("reconcileRows = %v, want %v", got, want)
	}
}
