package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/actions"
)

// ErrPreviewFailed is returned by promote --dry-run when the preview ends
// Failed.
var ErrPreviewFailed = errors.New("preview did not succeed")

// previewPromote is promote --dry-run: it creates a PromotionPreview of
// the Freight promote would pick, waits for the manager to run it and
// prints its steps and diffs (with -o json|yaml, the caller prints the
// object instead). The preview is returned as last read.
func previewPromote(ctx context.Context, opts *Options, req promoteRequest, table bool) (*railyard.PromotionPreview, error) {
	c, stage, f, what, err := choose(ctx, opts, req)
	if err != nil {
		return nil, err
	}
	p := actions.NewPreview(stage, f, opts.Now())
	if err := c.Create(ctx, p); err != nil {
		if apierrors.IsForbidden(err) {
			return nil, fmt.Errorf("%w\nyou may not preview promoting to stage %s: you need the verb promote on stages/%s and create on promotionpreviews in namespace %s; ask a project admin for a RoleBinding to the promoter role",
				err, stage.Name, stage.Name, stage.Namespace)
		}
		return nil, explain(err, "create", "promotionpreviews", p.Name, stage.Namespace)
	}
	_, _ = fmt.Fprintf(opts.Out, "promotionpreview/%s created: %s to stage %s; nothing is pushed\n", p.Name, what, stage.Name)
	key := client.ObjectKeyFromObject(p)
	err = poll(ctx, opts.PollInterval, req.timeout, func() (bool, error) {
		if err := c.Get(ctx, key, p); err != nil {
			return false, explain(err, "get", "promotionpreviews", key.Name, key.Namespace)
		}
		return p.Status.Phase.IsTerminal(), nil
	})
	if errors.Is(err, ErrTimeout) {
		return p, fmt.Errorf("promotionpreview/%s is still %s after %s; follow it with 'kubectl get promotionpreview %s -n %s -w' (is the Railyard manager running?)",
			key.Name, orDash(string(p.Status.Phase)), req.timeout, key.Name, key.Namespace)
	}
	if err != nil {
		return p, err
	}
	if table {
		printPreview(opts.Out, p)
	}
	if p.Status.Phase != railyard.PreviewPhaseSucceeded {
		return p, fmt.Errorf("%w: promotionpreview/%s %s: %s", ErrPreviewFailed, p.Name, p.Status.Phase, orDash(p.Status.Message))
	}
	return p, nil
}

// printPreview writes the steps a preview ran or skipped, then each
// commit with its diffstat and diff, then the outcome.
func printPreview(w io.Writer, p *railyard.PromotionPreview) {
	st := p.Status
	for i, s := range st.Steps {
		line := fmt.Sprintf("  step %d/%d %s (%s): %s", i+1, len(st.Steps), orDash(s.Alias), orDash(s.Uses), s.Status)
		if s.Message != "" {
			line += ": " + s.Message
		}
		_, _ = fmt.Fprintln(w, line)
	}
	for _, c := range st.Commits {
		where := c.Path
		if c.Branch != "" {
			where += ", branch " + c.Branch
		}
		if c.Base != "" {
			where += ", on " + short(c.Base, 7)
		}
		_, _ = fmt.Fprintf(w, "\ncommit of step %s (%s): %q\n", c.Step, where, firstLine(c.Message))
		if c.NothingToCommit {
			_, _ = fmt.Fprintln(w, "  nothing to commit: the checkout is unchanged")
			continue
		}
		_, _ = fmt.Fprintf(w, "  %d file(s) changed, +%d -%d\n", c.FilesChanged, c.Additions, c.Deletions)
		_, _ = io.WriteString(w, c.Diff)
		if !strings.HasSuffix(c.Diff, "\n") {
			_, _ = fmt.Fprintln(w)
		}
		if c.DiffTruncated {
			_, _ = fmt.Fprintln(w, "  (the diff is cut; the file counts above are whole)")
		}
	}
	_, _ = fmt.Fprintf(w, "\npromotionpreview/%s %s: %s\n", p.Name, st.Phase, orDash(st.Message))
}
