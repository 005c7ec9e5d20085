package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/actions"
)

// ErrTimeout is returned when --wait gives up before the controller answered.
var ErrTimeout = errors.New("timed out")

func newRefreshWarehouseCommand(opts *Options) *cobra.Command {
	var wait bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "warehouse NAME",
		Short: "Discover a Warehouse's artifacts now",
		Long: "Sets the railyard.dev/refresh annotation so the Warehouse controller discovers\n" +
			"artifacts now. With --wait, returns once the refresh was handled and prints the\n" +
			"Freight it created.",
		Example: "  railyard refresh warehouse titiler --wait -n demo",
		Args:    exactArgs(1, "the name of a Warehouse"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return refreshWarehouse(cmd.Context(), opts, args[0], wait, timeout)
		},
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the controller handled the refresh")
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "how long --wait waits")
	return cmd
}

func refreshWarehouse(ctx context.Context, opts *Options, name string, wait bool, timeout time.Duration) error {
	c, ns, err := opts.Client()
	if err != nil {
		return err
	}
	var wh railyard.Warehouse
	if err := getOrList(ctx, c, ns, name, "Warehouse", &wh, &railyard.WarehouseList{}); err != nil {
		return err
	}
	// Freight that exists now is not "new"; comparing names avoids relying
	// on the client's clock agreeing with the API server's.
	before, err := freightOf(ctx, c, ns, name)
	if err != nil {
		return err
	}
	token := opts.Now().UTC().Format(time.RFC3339)
	if err := patchAnnotation(ctx, c, &wh, railyard.AnnotationRefresh, token); err != nil {
		return explain(err, "patch", "warehouses", name, ns)
	}
	_, _ = fmt.Fprintf(opts.Out, "warehouse/%s refresh requested (%s)\n", name, token)
	if !wait {
		return nil
	}
	var lastMsg string
	err = poll(ctx, opts.PollInterval, timeout, func() (bool, error) {
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &wh); err != nil {
			return false, explain(err, "get", "warehouses", name, ns)
		}
		if msg := actions.WarehouseProgress(&wh); msg != "" && msg != lastMsg {
			_, _ = fmt.Fprintf(opts.Out, "  %s\n", msg)
			lastMsg = msg
		}
		return wh.Status.LastHandledRefresh == token, nil
	})
	if errors.Is(err, ErrTimeout) {
		return fmt.Errorf("warehouse/%s did not handle the refresh within %s: is the Railyard manager running? (check 'kubectl get warehouse %s -n %s -o yaml')", name, timeout, name, ns)
	}
	if err != nil {
		return err
	}
	_, _ = fmt.Fprintf(opts.Out, "warehouse/%s refreshed\n", name)
	after, err := listFreight(ctx, c, ns, name)
	if err != nil {
		return err
	}
	var fresh int
	for i := range after {
		if _, ok := before[after[i].Name]; ok {
			continue
		}
		fresh++
		_, _ = fmt.Fprintf(opts.Out, "new freight %s: %s\n", freightLabel(&after[i]), artifactSummary(after[i].Images, after[i].Charts, after[i].Commits))
	}
	if fresh == 0 {
		_, _ = fmt.Fprintln(opts.Out, "no new freight")
	}
	return nil
}

// freightOf lists the Freight whose origin is the named Warehouse, keyed by
// name for membership tests and in list order in the slice.
func freightOf(ctx context.Context, c client.Client, ns, warehouse string) (map[string]struct{}, error) {
	list, err := listFreight(ctx, c, ns, warehouse)
	if err != nil {
		return nil, err
	}
	names := make(map[string]struct{}, len(list))
	for _, f := range list {
		names[f.Name] = struct{}{}
	}
	return names, nil
}

func listFreight(ctx context.Context, c client.Client, ns, warehouse string) ([]railyard.Freight, error) {
	var list railyard.FreightList
	if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return nil, explain(err, "list", "freights", "", ns)
	}
	out := list.Items[:0]
	for _, f := range list.Items {
		if warehouse == "" || f.Origin.Name == warehouse {
			out = append(out, f)
		}
	}
	return out, nil
}

// patchAnnotation sets one annotation with a merge patch, which leaves every
// other field alone and needs no resourceVersion.
func patchAnnotation(ctx context.Context, c client.Client, obj client.Object, key, value string) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{key: value}}})
	if err != nil {
		return fmt.Errorf("encoding patch: %w", err)
	}
	return c.Patch(ctx, obj, client.RawPatch(types.MergePatchType, patch))
}

// poll calls done every interval until it reports true, returns an error,
// ctx ends, or timeout passes (ErrTimeout). done gets ctx, not a context
// with the deadline, so a request is never cut short half-way.
func poll(ctx context.Context, interval, timeout time.Duration, done func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		ok, err := done()
		if err != nil || ok {
			return err
		}
		if !time.Now().Before(deadline) {
			return ErrTimeout
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
