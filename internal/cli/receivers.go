package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/webhook"
)

// receiverRow is one webhook receiver, as printed by get receivers.
type receiverRow struct {
	// Scope is the project, or "cluster" for the ClusterConfig's.
	Scope    string `json:"scope"`
	Name     string `json:"name"`
	Provider string `json:"provider"`
	// URL is what to register with the provider; empty when the manager
	// has no --webhook-receiver-base-url, then Path is what to append.
	URL  string `json:"url,omitempty"`
	Path string `json:"path,omitempty"`
	// Problem says why a configured receiver is not served.
	Problem string `json:"problem,omitempty"`
}

func newGetReceiversCommand(opts *Options) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:     "receivers",
		Aliases: []string{"receiver", "webhook-receivers"},
		Short:   "List the project's webhook receivers and the URL to give each provider",
		Long: "Lists the webhook receivers of the project's ProjectConfig and of the ClusterConfig,\n" +
			"with the URL to register with the provider (GitHub, Harbor, EventBridge, ...).\n" +
			"A receiver that is not served says why.",
		Example: "  railyard get receivers -n demo",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			return getReceivers(cmd.Context(), opts, format)
		},
	}
	addOutputFlag(cmd, &format)
	return cmd
}

func getReceivers(ctx context.Context, opts *Options, format string) error {
	c, ns, err := opts.Client()
	if err != nil {
		return err
	}
	var rows []receiverRow
	pc := &railyard.ProjectConfig{}
	switch err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: ns}, pc); {
	case apierrors.IsNotFound(err):
	case err != nil:
		return explain(err, "get", "projectconfigs", ns, ns)
	default:
		rows = append(rows, receiverRows(ns, pc.Spec.WebhookReceivers, pc.Status.WebhookReceivers, pc.Status.Conditions)...)
	}
	// Cluster-wide receivers serve this project too; people who may not
	// read the ClusterConfig just do not see them.
	cc := &railyard.ClusterConfig{}
	if err := c.Get(ctx, client.ObjectKey{Name: railyard.ClusterConfigName}, cc); err == nil {
		rows = append(rows, receiverRows("cluster", cc.Spec.WebhookReceivers, cc.Status.WebhookReceivers, cc.Status.Conditions)...)
	}
	if len(rows) == 0 && format == formatTable {
		_, err := fmt.Fprintf(opts.Out, "No webhook receivers for project %s. Add them to spec.webhookReceivers of ProjectConfig %s.\n", ns, ns)
		return err
	}
	return printData(opts.Out, format, rows, func(w io.Writer) error {
		tw := newTable(w)
		_, _ = fmt.Fprintln(tw, "SCOPE\tNAME\tPROVIDER\tURL")
		for _, r := range rows {
			where := r.URL
			switch {
			case r.Problem != "":
				where = "not served: " + r.Problem
			case where == "":
				where = r.Path + " (append to the receivers' public address)"
			}
			_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Scope, r.Name, r.Provider, where)
		}
		return tw.Flush()
	})
}

// receiverRows joins a config's receivers with what its status publishes.
func receiverRows(scope string, cfgs []railyard.WebhookReceiverConfig, published []railyard.WebhookReceiverStatus,
	conds []metav1.Condition) []receiverRow {
	rows := make([]receiverRow, 0, len(cfgs))
	for _, cfg := range cfgs {
		r := receiverRow{Scope: scope, Name: cfg.Name, Provider: "-"}
		if p, _, ok := webhook.ProviderFor(cfg); ok {
			r.Provider = p.Name()
		}
		r.Problem = "not published yet"
		for _, st := range published {
			if st.Name == cfg.Name {
				r.URL, r.Path, r.Problem = st.URL, st.Path, ""
			}
		}
		if r.Problem != "" {
			if c := meta.FindStatusCondition(conds, railyard.ConditionReady); c != nil && c.Status != "True" {
				r.Problem = c.Message
			}
		}
		rows = append(rows, r)
	}
	return rows
}
