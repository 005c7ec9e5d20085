package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// BenchmarkStatusWrite: what one status write of a Promotion shaped as the
// scale benchmark makes them (testdata/scale-promotion.json: the seven
// steps of the shared task, a finished status; 7.3 KB as stored) costs
// kube-apiserver and this process, written the two ways a status write
// with an optimistic lock can be: a JSON merge patch carrying the
// resourceVersion (what reconcilehelp.StatusPatcher sent before), and an
// update of the whole status at that resourceVersion (what it sends now).
// The two alternate in blocks of 25 writes, so a drift in the machine's
// speed falls on both alike; kube-apiserver's CPU is read from /proc and
// this process's from getrusage, so the figures are
// per write, averaged over every block (`make bench-status-write`;
// STATUS_WRITE_APISERVER_PROFILE=file for a CPU profile).
func BenchmarkStatusWrite(b *testing.B) {
	env, c := statusBenchEnv(b)
	ctx := context.Background()
	raw, err := os.ReadFile("testdata/scale-promotion.json")
	if err != nil {
		b.Fatal(err)
	}
	methods := []struct {
		name  string
		write func(ctx context.Context, c client.Client, base, obj *railyard.Promotion) error
	}{
		{"merge-patch", func(ctx context.Context, c client.Client, base, obj *railyard.Promotion) error {
			return c.Status().Patch(ctx, obj, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
		}},
		{"update", func(ctx context.Context, c client.Client, _, obj *railyard.Promotion) error {
			obj.SetManagedFields(nil)
			return c.Status().Update(ctx, obj)
		}},
	}
	promos := make([]*railyard.Promotion, len(methods))
	for i, m := range methods {
		p := &railyard.Promotion{}
		if err := json.Unmarshal(raw, p); err != nil {
			b.Fatal(err)
		}
		status := p.Status
		p.Name = "status-" + m.name
		if err := c.Create(ctx, p); err != nil {
			b.Fatal(err)
		}
		p.Status = status
		if err := c.Status().Update(ctx, p); err != nil {
			b.Fatal(err)
		}
		promos[i] = p
	}
	// STATUS_WRITE_APISERVER_PROFILE=file profiles kube-apiserver over
	// the first 20 s of the writes.
	profile := profileAPIServer(ctx, env.Config, os.Getenv("STATUS_WRITE_APISERVER_PROFILE"), 20)
	b.Cleanup(func() {
		if err := profile(); err != nil {
			b.Error(err)
		}
	})
	const block = 25
	apiserver := make([]time.Duration, len(methods))
	self := make([]time.Duration, len(methods))
	writes := make([]int, len(methods))
	n := 0
	round := 0
	for b.Loop() {
		round++
		for k := range methods {
			// Each goes first every other round: what one block leaves
			// behind (garbage to collect) falls on both alike.
			i := (k + round) % len(methods)
			m := methods[i]
			before, selfBefore := cpuByProcess()["kube-apiserver"], processCPU()
			for range block {
				n++
				base := promos[i]
				obj := base.DeepCopy()
				last := &obj.Status.StepExecutionMetadata[len(obj.Status.StepExecutionMetadata)-1]
				last.Message = fmt.Sprintf("write %d", n)
				if err := m.write(ctx, c, base, obj); err != nil {
					b.Fatalf("%s: %v", m.name, err)
				}
				promos[i] = obj
			}
			self[i] += processCPU() - selfBefore
			apiserver[i] += cpuByProcess()["kube-apiserver"] - before
			writes[i] += block
		}
	}
	for i, m := range methods {
		b.ReportMetric(float64(apiserver[i].Microseconds())/1000/float64(writes[i]), m.name+"-apiserver-ms/write")
		b.ReportMetric(float64(self[i].Microseconds())/1000/float64(writes[i]), m.name+"-client-ms/write")
	}
	b.ReportMetric(0, "ns/op")
}

// statusBenchEnv starts the API server of a status-write benchmark, with
// the namespace of testdata/scale-promotion.json.
func statusBenchEnv(b *testing.B) (*testenv.Env, client.Client) {
	b.Helper()
	env, err := testenv.Start(testenv.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = env.Stop() })
	if err := env.Client.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "bench"}}); err != nil {
		b.Fatal(err)
	}
	return env, env.Client
}
