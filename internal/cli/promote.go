package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/actions"
)

// promoteRequest is what promote was asked for.
type promoteRequest struct {
	stage, freight, alias, origin string
	// downstreamFrom promotes the Freight to every Stage fed by this one.
	downstreamFrom     string
	fromUpstream, wait bool
	// dryRun previews instead: a PromotionPreview, nothing pushed.
	dryRun  bool
	timeout time.Duration
}

func newPromoteCommand(opts *Options) *cobra.Command {
	var req promoteRequest
	var format string
	cmd := &cobra.Command{
		Use:   "promote (--stage S | --downstream-from S) (--freight NAME | --alias ALIAS | --from-upstream [--origin W]) [--wait | --dry-run]",
		Short: "Promote Freight to a Stage",
		Long: "Creates a Promotion of the named Freight, or with --from-upstream of what the\n" +
			"Stage's upstream offers, to the Stage. --from-upstream picks as Kargo does: what the\n" +
			"upstream Stage runs, for a Stage fed by one, else the newest Freight available to\n" +
			"the Stage; it says which. --downstream-from S promotes the\n" +
			"Freight to every Stage fed by S. With --wait, follows its steps and exits non-zero\n" +
			"if the Promotion fails. Promoting needs the verb promote on the Stage.\n\n" +
			"With --dry-run, creates a PromotionPreview instead: the manager runs the Stage's\n" +
			"steps up to the last git-commit in a scratch directory, pushing nothing and\n" +
			"skipping every step that writes elsewhere (git-push, argocd-update, ...), and the\n" +
			"command prints the steps and the diff each commit would make, exiting non-zero if\n" +
			"the preview fails. -o json|yaml prints the PromotionPreview.",
		Example: "  railyard promote --stage test --alias brave-otter --wait -n demo\n" +
			"  railyard promote --stage staging --from-upstream\n" +
			"  railyard promote --downstream-from test --alias brave-otter\n" +
			"  railyard promote --stage prod --alias brave-otter --dry-run",
		Args: exactArgs(0, "flags only"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			n := 0
			for _, set := range []bool{req.freight != "", req.alias != "", req.fromUpstream} {
				if set {
					n++
				}
			}
			if (req.stage == "") == (req.downstreamFrom == "") || n != 1 {
				return usageError{fmt.Errorf("give one of --stage or --downstream-from, and exactly one of --freight, --alias or --from-upstream")}
			}
			if req.downstreamFrom != "" && (req.fromUpstream || req.wait) {
				return usageError{fmt.Errorf("--downstream-from takes --freight or --alias, without --wait")}
			}
			if req.dryRun && (req.downstreamFrom != "" || req.wait) {
				return usageError{fmt.Errorf("--dry-run takes --stage, and always waits for the preview")}
			}
			if req.origin != "" && !req.fromUpstream {
				return usageError{fmt.Errorf("--origin only goes with --from-upstream")}
			}
			if err := checkFormat(format); err != nil {
				return err
			}
			// With -o json|yaml, stdout carries only the data; progress goes
			// to stderr.
			progress := opts
			if format != formatTable {
				o := *opts
				o.Out = opts.Err
				progress = &o
			}
			if req.dryRun {
				p, err := previewPromote(cmd.Context(), progress, req, format == formatTable)
				if format == formatTable || p == nil {
					return err
				}
				if perr := printData(opts.Out, format, p, nil); perr != nil {
					return perr
				}
				return err
			}
			run := promote
			if req.downstreamFrom != "" {
				run = promoteDownstream
			}
			promos, f, err := run(cmd.Context(), progress, req)
			if format == formatTable || len(promos) == 0 {
				return err
			}
			rows := promotionRows(promos, map[string]string{f.Name: aliasOf(f)})
			if perr := printData(opts.Out, format, rows, nil); perr != nil {
				return perr
			}
			return err
		},
	}
	addOutputFlag(cmd, &format)
	f := cmd.Flags()
	f.StringVar(&req.stage, "stage", "", "the Stage to promote to")
	f.StringVar(&req.downstreamFrom, "downstream-from", "", "promote to every Stage fed by this Stage (Kargo's \"promote to downstream\")")
	f.StringVar(&req.freight, "freight", "", "name of the Freight to promote")
	f.StringVar(&req.alias, "alias", "", "alias of the Freight to promote")
	f.BoolVar(&req.fromUpstream, "from-upstream", false, "promote what the Stage's upstream offers: what its one upstream Stage runs, else the newest available Freight")
	f.StringVar(&req.origin, "origin", "", "with --from-upstream: the Warehouse whose Freight to promote, when the Stage requests several")
	f.BoolVar(&req.wait, "wait", false, "follow the Promotion until it finishes")
	f.BoolVar(&req.dryRun, "dry-run", false, "show what promoting would commit, pushing nothing (a PromotionPreview)")
	f.DurationVar(&req.timeout, "timeout", 10*time.Minute, "how long --wait and --dry-run wait")
	return cmd
}

// promote creates the Promotion req asks for and, with --wait, follows
// it. It returns the Promotion as last read, and the Freight promoted.
func promote(ctx context.Context, opts *Options, req promoteRequest) ([]railyard.Promotion, *railyard.Freight, error) {
	c, stage, f, what, err := choose(ctx, opts, req)
	if err != nil {
		return nil, nil, err
	}
	promo, err := createPromotion(ctx, opts, c, stage, f)
	if err != nil {
		return nil, nil, err
	}
	_, _ = fmt.Fprintf(opts.Out, "promotion/%s created: %s to stage %s\n", promo.Name, what, stage.Name)
	if !req.wait {
		return []railyard.Promotion{*promo}, f, nil
	}
	err = followPromotion(ctx, opts, c, promo, fmt.Sprintf("freight %s to stage %s", freightLabel(f), stage.Name), req.timeout)
	return []railyard.Promotion{*promo}, f, err
}

// choose reads the Stage and picks the Freight req asks for, as promote
// and promote --dry-run both do; what words the pick for the user.
func choose(ctx context.Context, opts *Options, req promoteRequest) (c client.Client, stage *railyard.Stage, f *railyard.Freight, what string, err error) {
	c, ns, err := opts.Client()
	if err != nil {
		return nil, nil, nil, "", err
	}
	stage = &railyard.Stage{}
	if err := getOrList(ctx, c, ns, req.stage, "Stage", stage, &railyard.StageList{}); err != nil {
		return nil, nil, nil, "", err
	}
	if req.fromUpstream {
		// Resolved here rather than left to the controller (spec.origin), so
		// the user sees the pick before it runs and the Promotion's name and
		// FREIGHT column carry it.
		origin, err := upstreamOrigin(stage, req.origin)
		if err != nil {
			return nil, nil, nil, "", err
		}
		all, err := listFreight(ctx, c, ns, origin.Name)
		if err != nil {
			return nil, nil, nil, "", err
		}
		if f, err = pickUpstream(stage, origin, all, opts.Now()); err != nil {
			return nil, nil, nil, "", err
		}
		return c, stage, f, fmt.Sprintf("freight %s, %s,", freightLabel(f), upstreamPick(stage, origin)), nil
	}
	if f, err = findFreight(ctx, c, ns, req.freight, req.alias); err != nil {
		return nil, nil, nil, "", err
	}
	if err := availableTo(stage, f, opts.Now()); err != nil {
		return nil, nil, nil, "", err
	}
	return c, stage, f, "freight " + freightLabel(f), nil
}

// createPromotion creates a Promotion of f to stage, explaining RBAC
// refusals.
func createPromotion(ctx context.Context, opts *Options, c client.Client, stage *railyard.Stage, f *railyard.Freight) (*railyard.Promotion, error) {
	promo := actions.NewPromotion(stage, f, opts.Now())
	if err := c.Create(ctx, promo); err != nil {
		if apierrors.IsForbidden(err) {
			return nil, fmt.Errorf("%w\nyou may not promote to stage %s: you need the verb promote on stages/%s and create on promotions in namespace %s; ask a project admin for a RoleBinding to the promoter role",
				err, stage.Name, stage.Name, stage.Namespace)
		}
		return nil, explain(err, "create", "promotions", promo.Name, stage.Namespace)
	}
	return promo, nil
}

// upstreamOrigin picks the origin a --from-upstream Promotion asks for.
func upstreamOrigin(stage *railyard.Stage, want string) (railyard.FreightOrigin, error) {
	reqs := stage.Spec.RequestedFreight
	if want != "" {
		o := railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: want}
		if requestFor(stage, o) == nil {
			return o, fmt.Errorf("stage %s does not request Freight from warehouse %s; it requests from: %s", stage.Name, want, strings.Join(requestedOrigins(stage), ", "))
		}
		return o, nil
	}
	switch len(reqs) {
	case 0:
		return railyard.FreightOrigin{}, fmt.Errorf("stage %s requests no Freight; fix its spec.requestedFreight", stage.Name)
	case 1:
		return reqs[0].Origin, nil
	}
	return railyard.FreightOrigin{}, usageError{fmt.Errorf("stage %s requests Freight from several warehouses (%s): add --origin WAREHOUSE", stage.Name, strings.Join(requestedOrigins(stage), ", "))}
}

// findFreight reads Freight by name, or by alias when name is empty.
func findFreight(ctx context.Context, c client.Client, ns, name, alias string) (*railyard.Freight, error) {
	if name != "" {
		var f railyard.Freight
		if err := getOrList(ctx, c, ns, name, "Freight", &f, &railyard.FreightList{}); err != nil {
			return nil, err
		}
		return &f, nil
	}
	list, err := listFreight(ctx, c, ns, "")
	if err != nil {
		return nil, err
	}
	var aliases []string
	for i := range list {
		a := aliasOf(&list[i])
		if a == alias {
			return &list[i], nil
		}
		if a != "" {
			aliases = append(aliases, a)
		}
	}
	if len(aliases) == 0 {
		return nil, fmt.Errorf("no freight has alias %q: namespace %s has no freight; create some with 'railyard create freight --warehouse W'", alias, ns)
	}
	return nil, fmt.Errorf("no freight has alias %q in namespace %s; aliases: %s", alias, ns, strings.Join(aliases, ", "))
}

// stepLine renders one step's progress for --wait.
func stepLine(w io.Writer, i, total int, s railyard.StepExecutionMetadata) {
	line := fmt.Sprintf("  step %d/%d %s: %s", i+1, total, orDash(s.Alias), orDash(string(s.Status)))
	if s.ErrorCount > 0 {
		line += fmt.Sprintf(" (%d errors)", s.ErrorCount)
	}
	if s.Message != "" {
		line += ": " + s.Message
	}
	_, _ = fmt.Fprintln(w, line)
}
